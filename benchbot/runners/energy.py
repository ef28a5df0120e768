"""A case's energy figure from the device samples the host read around it (pure).

Which reading counts: on phones the battery's (current_now x voltage_now); on hosts the
GPU board's power for CUDA/TensorRT cases and the CPU package's RAPL counter for CPU
cases (a CPU case against the GPU's draw, or the reverse, would measure the wrong part).
"""

from __future__ import annotations

from typing import Sequence

from benchbot.stats.energy import (charge_counter_watts, counter_powers,
                                   energy_per_inference, volts)
from benchbot.store import DeviceSample, Energy

SOURCES = {"battery": "battery current_now x voltage_now (sysfs power_supply)",
           "gpu": "nvidia-smi power.draw (whole board, all GPUs)",
           "rapl": "RAPL package energy_uj (CPU package, all cores)"}
CHARGING_NOTE = ("the phone is charging: its battery current is not what the phone draws, so "
                 "there is no energy figure; unplug it, or set adb.stop_charging = true in its "
                 "profile")
GPU_BACKENDS = frozenset({"cuda", "tensorrt"})


def source_of(samples: Sequence[DeviceSample], backend: str) -> str | None:
    """The reading that measures this case's hardware, if the samples have it."""
    if any(s.current_raw is not None and s.power_w is not None for s in samples):
        return "battery"
    if backend in GPU_BACKENDS:
        return "gpu" if any(s.power_w is not None for s in samples) else None
    return "rapl" if any(s.energy_uj is not None for s in samples) else None


def _watts(samples: Sequence[DeviceSample], source: str) -> list[float]:
    if source == "rapl":
        reads = [(s.at_s, s.energy_uj) for s in samples if s.energy_uj is not None]
        return counter_powers(reads, None)  # type: ignore[arg-type]
    return [s.power_w for s in samples if s.power_w is not None]


def energy_of(idle: Sequence[DeviceSample], loop: Sequence[DeviceSample], loop_s: float,
              runs: int, backend: str, no_source: str | None) -> Energy:
    """The case's Energy: the figure with its CI, or a note saying why there is none.

    ``loop``: the samples read while the timed loop ran (the agent had closed a window);
    ``no_source``: what the device said when it gave no power reading."""
    every = [*idle, *loop]
    source = source_of(every, backend)
    if source is None:
        return Energy(source=None,
                      note=f"no energy source: {no_source or 'the device reports no power'}")
    charging = True if any(s.charging for s in every) else (
        False if any(s.charging is False for s in every) else None)
    base = dict(source=SOURCES[source], idle_samples=len(idle), load_samples=len(loop),
                charging=charging)
    if charging and source == "battery":
        return Energy(note=CHARGING_NOTE, **base)  # type: ignore[arg-type]
    idle_w, load_w = _watts(idle, source), _watts(loop, source)
    figures = energy_per_inference(idle_w, load_w, loop_s, runs)
    span = loop[-1].at_s - loop[0].at_s if len(loop) > 1 else 0.0
    counter = charge_counter_watts([(s.at_s, s.charge_counter_uah, volts(s.voltage_raw))
                                    for s in loop if s.charge_counter_uah is not None
                                    and s.voltage_raw])
    if figures is None:
        return Energy(note="too few power readings (an idle and a loop one are needed): "
                           "lengthen --sustained", **base)  # type: ignore[arg-type]
    return Energy(mj_per_inference=figures.mj_per_inference,
                  ci95_low_mj=figures.ci95_low_mj, ci95_high_mj=figures.ci95_high_mj,
                  idle_w=figures.idle_w, load_w=figures.load_w,
                  sample_hz=(len(loop) - 1) / span if span > 0 else None,
                  charge_counter_w=counter, **base)  # type: ignore[arg-type]


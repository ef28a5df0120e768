"""Running a plan: all devices at once, exclusive device leases, and (optionally) a farm of
hosts on Dask distributed."""

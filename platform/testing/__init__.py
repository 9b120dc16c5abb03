"""Testing support: the pytest plugin, snapshots, fault injection, reproducer bundles, schedule exploration, power cuts."""

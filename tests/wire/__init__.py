"""Wire-level tests: a fake Discord (REST + gateway) that the real bot process connects to."""

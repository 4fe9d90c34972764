"""The application: jobs, their store, sets and batches, under every entry point."""

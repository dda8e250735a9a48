"""The job system: training configs, the trainer registry, jobs, the worker pool, its messages, live feeds,
run records and their store."""

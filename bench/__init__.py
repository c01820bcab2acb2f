"""`make bench`: the figures of issue 10, each beside the baseline measured in the same run.

Run as `python -m bench.run --units N --stations M` (the Makefile's `bench` target). It builds a
fresh database (PostgreSQL when DATABASE_URL is set, under a database name of its own; otherwise a
throwaway SQLite file), migrates it, generates a province with `manage.py generate_province` and
prints one table: figure | product | baseline | ratio | target. Benchmarks print; they assert
nothing about speed. Each figure is a module here with a `run(ctx)` that returns its rows; one
figure failing prints its error and the others go on.
"""

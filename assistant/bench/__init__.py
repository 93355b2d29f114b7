"""`assistant bench`: the benchmarks, in a room of their own that nothing in the product imports.

The command reaches the CLI through the `assistant.commands` entry-point group (pyproject.toml), and
import-linter forbids every product package to import this one. Each suite is one module here, listed
once in `assistant.bench.suites`; see docs/benchmarks-room.md for how to add one. The harness the
suites share (a private Xvfb, the app run on it, rendered screens of known text, a private
speech-dispatcher, the synthetic full-size models) lives here too, and the tests borrow it.
"""

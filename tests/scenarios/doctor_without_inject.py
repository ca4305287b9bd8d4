"""`corptls ARGS...` (python -m corptls) with inject() and extract() made to raise: doctor must
judge with the bundle alone, never by injecting into its own process."""

import runpy
import sys

import corptls._api as api


def refused(*args: object, **kwargs: object) -> None:
    raise AssertionError("doctor called inject() or extract()")


api.inject = api.extract = refused
sys.argv = ["corptls", *sys.argv[1:]]
runpy.run_module("corptls", run_name="__main__", alter_sys=True)

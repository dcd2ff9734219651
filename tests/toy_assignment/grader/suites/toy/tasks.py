"""Assignment 7, the toy: ``double(x)``, 2 points for correctness and 1 for speed."""

from __future__ import annotations

from grader.compare import expect_array
from grader.spec import Assignment, Benchmark, Call, Contestant, Mismatch, Property
from grader.suites.toy import baseline, cases, oracle


def check_double(call: Call, case: cases.ToyCase) -> None:
    x = case.array()
    got = call("double", x, num_threads=case.num_threads)
    try:
        expect_array(got, oracle.double(x), what="double(x)")
    except Mismatch as wrong:
        raise Mismatch(f"input: {case}\n{wrong}") from None


def verify_timed(params: dict, inputs, output) -> None:
    expect_array(output, oracle.double(*inputs), what="timed double(x)")


ASSIGNMENT = Assignment(
    number=7,
    name="toy",
    title="Toy: double(x)",
    variants=("threaded",),
    functions={"threaded": ("double",)},
    tasks=(
        Property(
            variant="threaded",
            points=2,
            cases=cases.cases,
            check=check_double,
            edge_cases=cases.edge_cases,
            max_examples=20,
        ),
        Benchmark(
            variant="threaded",
            points=1,
            name="speed",
            inputs=baseline.make_inputs,
            params={"n": 2**22},
            learner=Contestant("double"),
            baseline_module=baseline.__name__,
            baseline=Contestant("double"),
            verify=verify_timed,
            fallback_speedup=1.0,
            kwargs={"num_threads": 2},
            rounds=5,
        ),
    ),
)

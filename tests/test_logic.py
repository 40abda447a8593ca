"""The logic layer: building formulas, rendering them, evaluating them concretely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netdevspec.spec.logic import (
    BOOL,
    BV16,
    INT,
    And,
    ConcreteState,
    Exists,
    Forall,
    Implies,
    Ite,
    Not,
    Or,
    Sort,
    StateSym,
    Var,
    evaluate,
    free_vars,
    lit,
    null,
    render,
    substitute,
    symbols_of,
)

from netdevspec.errors import SpecError

S = Sort.entity("Thing", "t")
size = StateSym("thing.size", (S,), INT, "a size", 0)
on = StateSym("thing.on", (S,), BOOL, "switched on", False)
flags = StateSym("thing.flags", (S,), BV16, "flags", 0)
x = Var("x", S)
n = Var("n", INT)


def state(**sizes: int) -> ConcreteState:
    st_ = ConcreteState(universe={"Thing": list(sizes)})
    for k, v in sizes.items():
        st_.set(size, (k,), v)
        st_.set(on, (k,), v > 0)
    return st_


def test_render_is_mathematical() -> None:
    f = Forall(x, Implies(on(x), size(x) >= 1))
    assert render(f) == "∀x:Thing. thing.on(x) ⇒ 1 ≤ thing.size(x)"
    assert render(size.post(x) == size(x) + n) == "thing.size′(x) = thing.size(x) + n"
    assert render(Not(x == null(S))) == "x ≠ NULL"


def test_evaluate_quantifiers_over_the_universe() -> None:
    f = Forall(x, Implies(on(x), size(x) >= 1))
    assert evaluate(f, state(a=1, b=0)) is True
    bad = state(a=1)
    bad.set(on, ("a",), True)
    bad.set(size, ("a",), 0)
    assert evaluate(f, bad) is False
    assert evaluate(Exists(x, size(x) == 7), state(a=7)) is True
    assert evaluate(Exists(x, size(x) == 7), state(a=6)) is False


def test_bounded_integer_quantifier() -> None:
    f = Forall(n, n * 2 >= n, within=(0, 10))
    assert evaluate(f, ConcreteState()) is True
    g = Exists(n, n == 3, within=(0, 3))
    assert evaluate(g, ConcreteState()) is False


def test_post_state_and_parameters() -> None:
    pre, post = state(a=2), state(a=5)
    g = size.post(x) == size(x) + n
    assert evaluate(g, pre, post, {"x": "a", "n": 3}) is True
    assert evaluate(g, pre, post, {"x": "a", "n": 2}) is False


def test_bitvector_flags() -> None:
    st_ = ConcreteState(universe={"Thing": ["a"]})
    st_.set(flags, ("a",), 0x41)
    up = (flags(x) & lit(0x1, BV16)) != lit(0, BV16)
    assert evaluate(up, st_, None, {"x": "a"}) is True
    cleared = flags(x) & ~lit(0x41, BV16)
    assert evaluate(cleared, st_, None, {"x": "a"}) == 0


def test_using_a_formula_as_a_bool_is_an_error() -> None:
    with pytest.raises(SpecError, match="used as a Python truth value") as e:
        if size(x) > 0:
            pass
    assert "use And(), Or(), Implies() or Ite()" in str(e.value)


def test_sort_errors_say_what_and_how_to_fix() -> None:
    with pytest.raises(SpecError, match=r"cannot compare Thing with Int .* Fix: compare like"):
        _ = x == 1
    with pytest.raises(SpecError, match="thing.size takes 1 argument"):
        size(x, x)
    with pytest.raises(SpecError, match="expects Thing but got Int"):
        size(n)
    with pytest.raises(SpecError, match="multiplies two non-constants.*linear"):
        _ = n * n


def test_integer_quantifier_needs_bounds() -> None:
    with pytest.raises(SpecError, match=r"quantified without bounds.*within=\(lo, hi\)"):
        Forall(n, n >= 0)


def test_unbound_variable_is_reported() -> None:
    with pytest.raises(SpecError, match="the variable n has no value.*pass n="):
        evaluate(n >= 0, ConcreteState())


def test_post_read_without_post_state_is_reported() -> None:
    with pytest.raises(SpecError, match="reads the post-state, but none was given"):
        evaluate(size.post(x) == 0, state(a=1), None, {"x": "a"})


def test_substitute_respects_binders() -> None:
    f = And(size(x) == n, Forall(x, size(x) >= n))
    g = substitute(f, {"x": Var("y", S), "n": lit(4)})
    # (a Var on the right of == takes priority in Python, so the equation is mirrored)
    assert render(g) == "4 = thing.size(y) ∧ ∀x:Thing. 4 ≤ thing.size(x)"
    assert free_vars(g) == {"y"}
    assert symbols_of(g) == {size}


@given(st.integers(-50, 50), st.integers(-50, 50), st.booleans())
def test_concrete_arithmetic_matches_python(a: int, b: int, c: bool) -> None:
    env = {"a": a, "b": b, "c": c}
    va, vb, vc = Var("a", INT), Var("b", INT), Var("c", BOOL)
    assert evaluate(va + vb - 3 * va, ConcreteState(), None, env) == a + b - 3 * a
    assert evaluate(Ite(vc, va, vb), ConcreteState(), None, env) == (a if c else b)
    assert evaluate(Or(va < vb, va == vb), ConcreteState(), None, env) == (a <= b)


def test_render_keeps_the_parentheses_of_a_negated_comparison() -> None:
    from netdevspec.spec import SPEC, render

    assert render(SPEC.rules["skb.clone.readonly"].formula) == "¬(1 < blk.refs(skb.block(b)))"

"""erf and erfc for NumPy arrays in float64 and in extended precision (``np.longdouble``), and the
activations' arithmetic (``ACTIVATION_F``: the formula trees evaluate it, core/ops/activations.py
states each activation's derivative and notation beside it).

NumPy has no erf, and ``math.erf`` is float64 only. GELU needs erf, and the finite differences of
``bptui check`` evaluate every activation in ``np.longdouble``: through a float64 erf their
rounding error would be float64's, 2000 times too large to check a gradient to 1e-6 where the
gradient is small against the loss. So:

- float64 (the steps, training): ``math.erf`` and ``math.erfc`` elementwise, correct to about an
  ulp, as before;
- any wider float (the gradient check): the series and the continued fraction below, vectorised,
  accurate to a few units in the last place of the type:

  - |x| < 1.5: erf(x) = (2/√π) x e^{−x²} Σₙ (2x²)ⁿ / (1·3·…·(2n+1)), every term positive (no
    cancellation, unlike the Taylor series in powers of −x²);
  - |x| ≥ 1.5: erfc(x) = x e^{−x²}/√π · 1/(x² + 1/2 − (1·2/4)/(x² + 5/2 − (3·4/4)/(x² + 9/2 − …))),
    the even part of Laplace's continued fraction, evaluated bottom-up from a fixed depth (80
    levels from x = 1.5 on, 48, 40 and 24 from 2, 2.5 and 3 on: at each, more levels change no
    digit of the result), and erf(x) = 1 − erfc(x).

  Measured against a 120-digit ``decimal`` reference (tests/test_special.py): erf within 3 units
  of long double's last place (eps = 1.1e−19) everywhere; erfc too, except just below 1.5, where
  1 − erf(x) loses up to 5 bits (relative 3e−18). A float64 erf would be off by up to 1e−16.

The precision follows the array's dtype, so on platforms whose ``np.longdouble`` is float64 the same
code runs in float64.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time (the reader child's start-up)
    from numpy.typing import ArrayLike, NDArray

_SPLIT = 1.5  # series below, continued fraction from here on
# levels of the continued fraction for the smallest argument it gets (from 1.5, 2, 2.5, 3 on): with
# more, no digit of the long-double result changes
_DEPTHS = ((3.0, 24), (2.5, 40), (2.0, 48), (_SPLIT, 80))
_PI = "3.14159265358979323846264338327950288419716939937510"

_erf_obj = np.frompyfunc(math.erf, 1, 1)  # a little faster than np.vectorize: 10 against 12–18 ms for 10⁵
_erfc_obj = np.frompyfunc(math.erfc, 1, 1)


def _erf64(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(_erf_obj(x), dtype=np.float64)


def _erfc64(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(_erfc_obj(x), dtype=np.float64)


def extended(dtype: np.dtype) -> bool:
    """Is ``dtype`` a float wider than float64 (``np.longdouble`` on x86-64 Linux)?"""
    return bool(np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps < np.finfo(np.float64).eps)


def _sqrt_pi(dtype: np.dtype) -> np.floating:
    return np.sqrt(dtype.type(_PI))


def _erf_series(a: NDArray[np.floating]) -> NDArray[np.floating]:
    """erf(a) for 0 ≤ a < 1.5 (a 1-D array), to the precision of a's dtype."""
    eps = float(np.finfo(a.dtype).eps)
    # terms needed for the largest a (the others converge sooner), counted in Python floats
    x2, term, terms = 2 * float(a.max()) ** 2, 1.0, 0
    while term > eps / 4:
        terms += 1
        term *= x2 / (2 * terms + 1)
    a2 = 2 * a * a
    term_v = np.ones_like(a)
    total = np.ones_like(a)
    for n in range(1, terms + 1):  # in place: for small arrays the calls, not the flops, cost
        term_v *= a2
        term_v /= 2 * n + 1
        total += term_v
    return 2 / _sqrt_pi(a.dtype) * a * np.exp(-a * a) * total


def _erfc_cf(a: NDArray[np.floating]) -> NDArray[np.floating]:
    """erfc(a) for a ≥ 1.5 (a 1-D array), by the even continued fraction, bottom-up."""
    smallest = a.min()
    depth = next(d for bound, d in _DEPTHS if smallest >= bound)
    z = a * a
    f = z + (4 * depth + 1) / 2
    q = np.empty_like(f)
    for k in range(depth, 0, -1):  # f ← z + (4k − 3)/2 − (2k − 1)2k/4 / f, in place
        np.divide((2 * k - 1) * (2 * k) / 4, f, out=q)
        np.subtract(z, q, out=f)
        f += (4 * k - 3) / 2
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        out = a * np.exp(-z) / f / _sqrt_pi(a.dtype)
    return np.where(np.isinf(a), 0, out)  # ∞·e^{−∞} is NaN; erfc(∞) = 0


def _erf_erfc_abs(a: NDArray[np.floating]) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """(erf(a), erfc(a)) for a = |x| (1-D, no NaN), each computed where it is accurate."""
    erf, erfc = np.empty_like(a), np.empty_like(a)
    small = a < _SPLIT
    if small.any():
        erf[small] = _erf_series(a[small])
        erfc[small] = 1 - erf[small]
    big = ~small
    if big.any():
        erfc[big] = _erfc_cf(a[big])
        erf[big] = 1 - erfc[big]
    return erf, erfc


def _extended(x: NDArray[np.floating], complement: bool) -> NDArray[np.floating]:
    flat = x.ravel()
    out = np.full_like(flat, np.nan)
    ok = ~np.isnan(flat)
    v = flat[ok]
    erf, erfc = _erf_erfc_abs(np.abs(v))
    neg = v < 0
    if complement:  # erfc(−a) = 1 + erf(a) = 2 − erfc(a)
        out[ok] = np.where(neg, 1 + erf, erfc)
    else:
        out[ok] = np.where(neg, -erf, erf)
    return out.reshape(x.shape)


def _as_float(x: ArrayLike) -> NDArray[np.floating]:
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def erf(x: ArrayLike) -> NDArray[np.floating]:
    """erf elementwise, in x's precision (float64 for ints)."""
    arr = _as_float(x)
    if not extended(arr.dtype):
        return _erf64(arr.astype(np.float64, copy=False))
    return _extended(arr, complement=False)


def erfc(x: ArrayLike) -> NDArray[np.floating]:
    """erfc = 1 − erf elementwise, in x's precision, without the cancellation of 1 − erf(x) for large x."""
    arr = _as_float(x)
    if not extended(arr.dtype):
        return _erfc64(arr.astype(np.float64, copy=False))
    return _extended(arr, complement=True)


# -- the activations' arithmetic (f of each; core/ops/activations.py states the rest of each) --------
_HALF_ROOT2 = math.sqrt(0.5)  # 1/√2 in float64, and what it leaves out: 1/√2 = _HALF_ROOT2 + _HALF_ROOT2_LOW
_HALF_ROOT2_LOW = -4.833646656726457e-17
_VELTKAMP = 134217729.0  # 2²⁷ + 1: splits a double into two halves whose products are exact


def _phi64(s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Φ(s) = ½ erfc(z), z = −s/√2, in float64, within a few ulps down to the normal range's end. ½(1 +
    erf(s/√2)) is 0 from s ≈ −8.3 on (erf rounds to −1) for Φ(−10) = 7.6e−24; and erfc of the rounded z
    is off by 2z² times z's rounding (1e−13 at s = −37): the rounding dz (Dekker's exact product of −s and
    the float 1/√2, and the constant's own remainder) is put back by erfc′(z) = −(2/√π) e^(−z²)."""
    x = -np.asarray(s, dtype=np.float64)
    z = x * _HALF_ROOT2
    with np.errstate(over="ignore", invalid="ignore"):
        c = _VELTKAMP * x
        xh = c - (c - x)
        xl = x - xh
        k = _VELTKAMP * _HALF_ROOT2
        kh = k - (k - _HALF_ROOT2)
        kl = _HALF_ROOT2 - kh
        dz = ((xh * kh - z) + xh * kl + xl * kh) + xl * kl + x * _HALF_ROOT2_LOW
        dz = np.where(np.isfinite(dz), dz, 0.0)
        return 0.5 * (erfc(z) - 2 / math.sqrt(math.pi) * np.exp(-z * z) * dz)


def normal_cdf(s: np.ndarray) -> np.ndarray:
    """Φ(s), the standard normal distribution function (GELU is s·Φ(s)): ½ erfc(−s/√2) (:func:`_phi64`),
    in a wider float through that float's erfc."""
    if extended(s.dtype):
        return 0.5 * erfc(-s / np.sqrt(s.dtype.type(2)))
    return _phi64(s)


def sigmoid(s: np.ndarray) -> np.ndarray:
    out = np.empty_like(s, dtype=np.result_type(s, float))
    pos = s >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-s[pos]))
    e = np.exp(s[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def softmax(s: np.ndarray) -> np.ndarray:
    z = np.exp(s - s.max(axis=0, keepdims=True))
    return z / z.sum(axis=0, keepdims=True)


def leaky(s: np.ndarray, a: float) -> np.ndarray:
    return np.where(s >= 0, s, a * s)


def gelu(s: np.ndarray, a: float) -> np.ndarray:
    """s Φ(s), Φ the standard normal CDF, as ½ s erfc(−s/√2): in float64 with math.erfc (within a few ulps
    down to the normal range's end, s ≈ −37.5, where ½s(1 + erf(s/√2)) gave 0 from s ≈ −8.3 on); in
    extended precision (the gradient check) with bptui's own erfc, every constant in that precision."""
    if extended(s.dtype):
        return 0.5 * s * erfc(-s / np.sqrt(s.dtype.type(2)))
    return s * _phi64(s)


def dgelu(s: np.ndarray, o: np.ndarray, a: float) -> np.ndarray:
    cdf = normal_cdf(s)
    pdf = np.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)
    return cdf + s * pdf


ACTIVATION_F: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "identity": lambda s, a: s * 1.0,
    "sigmoid": lambda s, a: sigmoid(s),
    "tanh": lambda s, a: np.tanh(s),
    "relu": lambda s, a: np.maximum(s, 0.0),
    "gelu": gelu,
    "softplus": lambda s, a: np.logaddexp(0.0, s),
    "elu": lambda s, a: np.where(s > 0, s, a * np.expm1(np.minimum(s, 0.0))),
    "leaky_relu": leaky,
    "prelu": leaky,
    "softmax": lambda s, a: softmax(s),
}

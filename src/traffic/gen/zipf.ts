// Draws ranks 1..n with P(k) proportional to k^-exponent (a Zipf law) in O(1)
// time and memory, by rejection-inversion: Hörmann and Derflinger, "Rejection-
// inversion to generate variates from monotone discrete distributions", ACM
// TOMACS 6(3), 1996. A continuous hat h(x) = x^-exponent is inverted through its
// integral H; a drawn x is rounded to k and accepted when it lands under the
// histogram bar of k, which it almost always does.
import type { Prng } from "./prng.ts";

export class ZipfSampler {
  private readonly exponent: number;
  private readonly count: number;
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly squeeze: number;

  constructor(count: number, exponent: number) {
    this.count = count;
    this.exponent = exponent;
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(count + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  // A rank in [1, count]; rank 1 is the most popular.
  sample(prng: Prng): number {
    for (;;) {
      const u = this.hIntegralN + prng.nextFloat() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      const k = Math.min(this.count, Math.max(1, Math.floor(x + 0.5)));
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  // H(x) = (x^(1-s) - 1) / (1 - s), which tends to log(x) as s tends to 1.
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  private hIntegralInverse(y: number): number {
    let t = y * (1 - this.exponent);
    // Rounding can push t just below -1, outside H's range.
    if (t < -1) t = -1;
    return Math.exp(log1pOverX(t) * y);
  }
}

// expm1(x) / x, and its limit 1 at 0.
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x / 2 + (x * x) / 6;
}

// log1p(x) / x, and its limit 1 at 0.
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x / 2 + (x * x) / 3;
}

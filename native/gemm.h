// Cache- and register-blocked single-precision matrix products for the trainer (one thread each:
// the trainer parallelizes over the models of a stack, not inside a product).
#pragma once
#include <cstddef>
#include <memory>

#include "isa.h"

namespace nns {

// A row-major matrix as an operand: element (i, j) of op(X) is data[i * ld + j], or data[j * ld + i]
// when transposed (so X^T is the same buffer read the other way; packing absorbs the difference).
struct MatrixRef {
  const float* data;
  int ld;
  bool transposed;
};

// Grow-only 64-byte-aligned float storage.
class AlignedFloats {
 public:
  float* reserve(size_t n);

 private:
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  size_t capacity_ = 0;
};

// The packed copies of the operands' blocks. One per thread of work (each model owns one), reused
// from product to product so nothing is allocated in a training step.
struct GemmScratch {
  AlignedFloats a, b;
};

// C[M x N] = op(A)[M x K] * op(B)[K x N], plus bias[N] on every row when bias is not null; C has row
// stride ldc and is only written. The sum over K runs in blocks of the kernel's kc, with FMA on the
// AVX2 / AVX-512 paths, so it rounds differently from a naive loop by a few ulps per block.
void gemm(int M, int N, int K, MatrixRef A, MatrixRef B, float* C, int ldc, const float* bias, GemmScratch& scratch,
          Isa isa = activeIsa());

}  // namespace nns

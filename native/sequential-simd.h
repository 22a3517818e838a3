// The Sequential trainer's elementwise loops (sequential-simd.inc), on AVX2 where the active
// instruction set is AVX2 or AVX-512, else on the build's baseline; the results do not depend on it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nns {

void maxCell(const float* x, float* y, int32_t* idx, int base, int C);

}  // namespace nns

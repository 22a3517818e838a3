#include "optimizer.h"

#include <algorithm>
#include <cmath>

#include "isa.h"

namespace nns {
namespace portable {
#include "optimizer-step.inc"
}  // namespace portable
}  // namespace nns

#if NNS_X86_KERNELS
NNS_TARGET_BEGIN("avx2,fma")
namespace nns {
namespace avx2 {
#include "optimizer-step.inc"
}  // namespace avx2
}  // namespace nns
NNS_TARGET_END

NNS_TARGET_BEGIN("avx512f,fma")
namespace nns {
namespace avx512 {
#include "optimizer-step.inc"
}  // namespace avx512
}  // namespace nns
NNS_TARGET_END
#endif

namespace nns {

void optimizerStep(const OptimizerConfig& o, float* w, const float* g, size_t n, float* const slots[3], double rate, long t) {
#if NNS_X86_KERNELS
  switch (activeIsa()) {
    case Isa::Avx512: return avx512::step(o, w, g, n, slots, rate, t);
    case Isa::Avx2: return avx2::step(o, w, g, n, slots, rate, t);
    default: break;
  }
#endif
  portable::step(o, w, g, n, slots, rate, t);
}

}  // namespace nns

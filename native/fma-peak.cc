#include "fma-peak.h"

#include <chrono>

#include "gemm-kernels.h"

namespace nns {

double fmaPeakGflops(Isa isa, double seconds) {
  using clock = std::chrono::steady_clock;
  const PeakLoop& loop = kernelsFor(isa).peak;
  const long steps = 1 << 20;
  volatile float sink = loop.run(1.0f, steps);  // warm-up: clock ramp, wide-vector power state
  long rounds = 0;
  double elapsed = 0;
  auto t0 = clock::now();
  do {
    sink = sink + loop.run((float)rounds, steps);
    rounds++;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  } while (elapsed < seconds);
  return (double)loop.flopsPerStep * steps * rounds / elapsed / 1e9;
}

}  // namespace nns

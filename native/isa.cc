#include "isa.h"

#include <atomic>
#include <initializer_list>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nns {

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

bool parseIsa(const char* name, Isa* out) {
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
    if (std::strcmp(name, isaName(isa)) == 0) {
      *out = isa;
      return true;
    }
  return false;
}

bool isaSupported(Isa isa) {
  switch (isa) {
    case Isa::Portable: return true;
#if NNS_X86_KERNELS
    // libgcc / compiler-rt also check that the OS saves the YMM / ZMM state (XGETBV).
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default: return false;
  }
}

Isa bestIsa() {
  for (Isa isa : {Isa::Avx512, Isa::Avx2})
    if (isaSupported(isa)) return isa;
  return Isa::Portable;
}

static Isa fromEnvironment() {
  Isa best = bestIsa();
  const char* env = std::getenv("NNSEARCH_NATIVE_ISA");
  if (!env || !*env) return best;
  Isa wanted;
  if (!parseIsa(env, &wanted)) {
    std::fprintf(stderr, "nnsearch native: NNSEARCH_NATIVE_ISA=%s is not portable|avx2|avx512; using %s\n", env, isaName(best));
    return best;
  }
  if (!isaSupported(wanted)) {
    std::fprintf(stderr, "nnsearch native: this CPU has no %s; using %s\n", env, isaName(best));
    return best;
  }
  return wanted;
}

static std::atomic<int> active{-1};

Isa activeIsa() {
  int v = active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = (int)fromEnvironment();
    active.store(v, std::memory_order_relaxed);
  }
  return (Isa)v;
}

bool setActiveIsa(Isa isa) {
  if (!isaSupported(isa)) return false;
  active.store((int)isa, std::memory_order_relaxed);
  return true;
}

}  // namespace nns

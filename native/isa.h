// Which SIMD path the native kernels take. The addon is built with the compiler's default flags
// (any x86-64, or any other architecture), so the AVX2 and AVX-512 kernels are compiled as separate
// functions with target attributes and chosen here at run time; NNSEARCH_NATIVE_ISA forces a path
// (tests, benchmarks) but never one the CPU lacks.
#pragma once

namespace nns {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// x86-64 with GCC or Clang: the AVX2 / AVX-512 kernels exist in this build.
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define NNS_X86_KERNELS 1
#else
#define NNS_X86_KERNELS 0
#endif

// Compiles the functions between NNS_TARGET_BEGIN("avx2,fma") and NNS_TARGET_END for that
// instruction set whatever the build's flags (GCC and Clang; templates defined there included).
#define NNS_PRAGMA(text) _Pragma(#text)
#ifdef __clang__
#define NNS_TARGET_BEGIN(isa) NNS_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define NNS_TARGET_END NNS_PRAGMA(clang attribute pop)
#else
#define NNS_TARGET_BEGIN(isa) NNS_PRAGMA(GCC push_options) NNS_PRAGMA(GCC target(isa))
#define NNS_TARGET_END NNS_PRAGMA(GCC pop_options)
#endif

const char* isaName(Isa isa);
// Parses "portable" | "avx2" | "avx512"; false for anything else.
bool parseIsa(const char* name, Isa* out);
// Compiled into this build and supported by this CPU and OS.
bool isaSupported(Isa isa);
// The fastest supported path.
Isa bestIsa();
// The path the trainer uses: NNSEARCH_NATIVE_ISA if set (lowered to the best supported when the CPU
// lacks it), else bestIsa(). Read once.
Isa activeIsa();
// Forces the trainer's path (tests); returns false, changing nothing, when it is not supported.
bool setActiveIsa(Isa isa);

}  // namespace nns

{
  "targets": [
    {
      "target_name": "nnsearch_native",
      "sources": ["addon.cc", "mlp.cc", "sequential.cc", "sequential-simd.cc", "isa.cc", "gemm.cc", "gemm-portable.cc", "gemm-avx2.cc", "gemm-avx512.cc", "fma-peak.cc", "optimizer.cc"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno", "-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-ffp-contract=off"], "GCC_ENABLE_CPP_EXCEPTIONS": "YES" }
    }
  ]
}

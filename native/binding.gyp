{
  "targets": [
    {
      "target_name": "nnsearch_native",
      "sources": ["addon.cc", "mlp.cc"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-O3", "-march=native", "-std=c++17", "-fexceptions", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"], "GCC_ENABLE_CPP_EXCEPTIONS": "YES" }
    }
  ]
}

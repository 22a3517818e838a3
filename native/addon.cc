// N-API binding of the native trainer (mlp.h). JavaScript side: src/engine/native-engine.ts.
//   createStack(spec) -> handle  (spec.layers set: a Sequential stack, sequential.h; spec.layers[m] is
//                                 model m's Float64Array of LAYER_FIELDS numbers per layer, spec.inputShape
//                                 an Int32Array; else the MLP Stack of spec.widths)
//   trainEpoch(handle, orders: Int32Array[], lrs: Float64Array, active: Uint8Array, threads) -> Promise<Float64Array>
//   trainEpochTimed(same arguments) -> Promise<Float64Array>   (triples: loss, metric, seconds per model)
//   evaluate(handle, part, active, threads) -> Promise<Float64Array>      (pairs: loss, metric per model)
//   getWeights(handle, m) -> Float32Array[];  setWeights(handle, m, Float32Array[]);  dispose(handle)
// and, for tests and benchmarks (not used by the engine):
//   kernels() -> {isa, best, supported: string[], optimizer}  the SIMD path of the products in use,
//                                                       the best, all this CPU runs; the optimizers' path
//   setIsa(name) -> boolean                             force a path (false: unsupported, nothing changed)
//   gemm(M, N, K, A, lda, transA, B, ldb, transB, bias | null, isa) -> Float32Array (M x N)
//   fmaPeak(isa, seconds, threads) -> GFLOP/s of `threads` threads of FMA chains together
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <thread>
#include <string>
#include <thread>
#include <vector>

#include "fma-peak.h"
#include "gemm.h"
#include "mlp.h"
#include "sequential.h"
#include "optimizer.h"

namespace {

#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, nullptr, "nnsearch native: N-API call failed: " #call); \
      return nullptr;                                                    \
    }                                                                    \
  } while (0)

struct Handle {
  nns::Trainer* stack = nullptr;
  napi_ref xRef = nullptr, yRef = nullptr;
  bool busy = false;
};

napi_value get(napi_env env, napi_value obj, const char* key) {
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  return v;
}

double num(napi_env env, napi_value obj, const char* key) {
  double d = 0;
  napi_get_value_double(env, get(env, obj, key), &d);
  return d;
}

bool flag(napi_env env, napi_value obj, const char* key) {
  bool b = false;
  napi_get_value_bool(env, get(env, obj, key), &b);
  return b;
}

template <class T>
bool typed(napi_env env, napi_value v, T** data, size_t* length) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void* raw;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, &ab, &offset) != napi_ok) return false;
  *data = static_cast<T*>(raw);
  return true;
}

/** A copy of a typed array's elements (empty when v is not a typed array). */
template <class T>
std::vector<T> copyOf(napi_env env, napi_value v) {
  T* p = nullptr;
  size_t n = 0;
  if (!typed(env, v, &p, &n)) return {};
  return std::vector<T>(p, p + n);
}

std::vector<int> ints(napi_env env, napi_value v) { return copyOf<int32_t>(env, v); }
std::vector<float> floats(napi_env env, napi_value v) { return copyOf<float>(env, v); }
std::vector<uint8_t> activeFlags(napi_env env, napi_value v) { return copyOf<uint8_t>(env, v); }

Handle* unwrap(napi_env env, napi_value v) {
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return static_cast<Handle*>(p);
}

void release(napi_env env, Handle* h) {
  delete h->stack;
  h->stack = nullptr;
  if (h->xRef) napi_delete_reference(env, h->xRef);
  if (h->yRef) napi_delete_reference(env, h->yRef);
  h->xRef = h->yRef = nullptr;
}

void finalize(napi_env env, void* data, void*) {
  Handle* h = static_cast<Handle*>(data);
  release(env, h);
  delete h;
}

napi_value CreateStack(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value spec;
  CHECK(napi_get_cb_info(env, info, &argc, &spec, nullptr, nullptr));
  nns::Data data;
  float* x = nullptr;
  float* y = nullptr;
  size_t nx = 0, ny = 0;
  if (!typed(env, get(env, spec, "x"), &x, &nx) || !typed(env, get(env, spec, "y"), &y, &ny)) {
    napi_throw_type_error(env, nullptr, "createStack: x and y must be Float32Arrays");
    return nullptr;
  }
  data.x = x;
  data.y = y;
  data.n = (int)ny;
  data.d = (int)num(env, spec, "d");
  data.classification = flag(env, spec, "classification");
  std::vector<int> widths = ints(env, get(env, spec, "widths"));
  napi_value models = get(env, spec, "models");
  uint32_t count = 0;
  napi_get_array_length(env, models, &count);
  std::vector<nns::ModelConfig> configs;
  std::vector<std::vector<std::vector<float>>> initial;
  for (uint32_t m = 0; m < count; m++) {
    napi_value o;
    napi_get_element(env, models, m, &o);
    nns::ModelConfig c;
    c.fit = ints(env, get(env, o, "fit"));
    c.validation = ints(env, get(env, o, "validation"));
    c.test = ints(env, get(env, o, "test"));
    c.scalerOffset = floats(env, get(env, o, "scalerOffset"));
    c.scalerFactor = floats(env, get(env, o, "scalerFactor"));
    c.activation = (nns::Activation)(int)num(env, o, "activation");
    c.outputActivation = (nns::Activation)(int)num(env, o, "outputActivation");
    c.loss = (nns::Loss)(int)num(env, o, "loss");
    c.metric = (nns::Metric)(int)num(env, o, "metric");
    c.l1 = num(env, o, "l1");
    c.l2 = num(env, o, "l2");
    c.maxNorm = num(env, o, "maxNorm");
    c.batchNorm = flag(env, o, "batchNorm");
    // dropout rates arrive as float64 to keep the exact comparison u >= rate
    double* dd = nullptr;
    size_t dn = 0;
    if (typed(env, get(env, o, "dropout64"), &dd, &dn)) c.dropout.assign(dd, dd + dn);
    c.batchSize = (int)num(env, o, "batchSize");
    c.seed = (uint32_t)num(env, o, "seed");
    napi_value opt = get(env, o, "optimizer");
    c.opt.name = (nns::Optimizer)(int)num(env, opt, "name");
    c.opt.momentum = num(env, opt, "momentum");
    c.opt.nesterov = flag(env, opt, "nesterov");
    c.opt.decay = num(env, opt, "decay");
    c.opt.beta1 = num(env, opt, "beta1");
    c.opt.beta2 = num(env, opt, "beta2");
    c.opt.epsilon = num(env, opt, "epsilon");
    c.opt.rho = num(env, opt, "rho");
    c.opt.centered = flag(env, opt, "centered");
    c.opt.initialAccumulator = num(env, opt, "initialAccumulator");
    configs.push_back(std::move(c));
    napi_value weights = get(env, o, "weights");
    uint32_t nw = 0;
    napi_get_array_length(env, weights, &nw);
    std::vector<std::vector<float>> w;
    for (uint32_t i = 0; i < nw; i++) {
      napi_value a;
      napi_get_element(env, weights, i, &a);
      w.push_back(floats(env, a));
    }
    initial.push_back(std::move(w));
  }
  Handle* h = new Handle();
  napi_value layersValue = get(env, spec, "layers");
  bool sequential = false;
  napi_is_array(env, layersValue, &sequential);
  try {
    if (sequential) {
      std::vector<std::vector<nns::LayerSpec>> layers;
      for (uint32_t m = 0; m < count; m++) {
        napi_value a;
        napi_get_element(env, layersValue, m, &a);
        double* f = nullptr;
        size_t n = 0;
        if (!typed(env, a, &f, &n) || n % nns::LAYER_FIELDS != 0) throw std::runtime_error("createStack: layers[m] must be a Float64Array of whole layers");
        std::vector<nns::LayerSpec> list;
        for (size_t i = 0; i < n; i += nns::LAYER_FIELDS) list.push_back(nns::layerFromFields(f + i));
        layers.push_back(std::move(list));
      }
      h->stack = new nns::SequentialStack(data, ints(env, get(env, spec, "inputShape")), std::move(layers), std::move(configs));
    } else {
      h->stack = new nns::Stack(data, widths, std::move(configs));
    }
    for (uint32_t m = 0; m < count; m++) h->stack->setWeights((int)m, initial[m]);
  } catch (const std::exception& e) {
    delete h->stack;
    delete h;
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
  napi_create_reference(env, get(env, spec, "x"), 1, &h->xRef);
  napi_create_reference(env, get(env, spec, "y"), 1, &h->yRef);
  napi_value ext;
  CHECK(napi_create_external(env, h, finalize, nullptr, &ext));
  return ext;
}

struct Work {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  Handle* handle = nullptr;
  bool train = true;
  bool timed = false;  // train each model on its own and time it
  int part = 0, threads = 1;
  std::vector<std::vector<int>> orders;
  std::vector<double> lrs;
  std::vector<uint8_t> active;
  std::vector<nns::Sums> result;
  std::vector<double> seconds;
  std::string error;
};

/**
 * One epoch of every active model, each model trained by its own Stack::trainEpoch call (the others
 * inactive) and timed, the models spread over `threads` threads as Stack::trainEpoch spreads them.
 * The same computation per model as one call for all, so the same numbers; only the timing is new.
 */
void trainTimed(Work* w) {
  nns::Trainer& stack = *w->handle->stack;
  const int M = stack.size();
  int activeCount = 0;
  for (int m = 0; m < M && m < (int)w->active.size(); m++) activeCount += w->active[m] ? 1 : 0;
  // each model's share of the threads (a Sequential model splits its batches over them)
  const int inner = std::max(1, w->threads / std::max(1, std::min(w->threads, activeCount)));
  w->result.assign(M, nns::Sums{});
  w->seconds.assign(M, 0.0);
  std::atomic<int> next{0};
  std::string firstError;
  std::atomic<bool> failed{false};
  auto run = [&] {
    for (int m; (m = next++) < M;) {
      if (m >= (int)w->active.size() || !w->active[m]) {
        w->result[m].loss = w->result[m].metric = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      try {
        std::vector<uint8_t> one(M, 0);
        one[m] = 1;
        auto t0 = std::chrono::steady_clock::now();
        w->result[m] = stack.trainEpoch(w->orders, w->lrs, one, inner)[m];
        w->seconds[m] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      } catch (const std::exception& e) {
        if (!failed.exchange(true)) firstError = e.what();
      }
    }
  };
  const int n = std::max(1, std::min(w->threads, activeCount));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; t++) pool.emplace_back(run);
  run();
  for (auto& th : pool) th.join();
  if (failed) throw std::runtime_error(firstError);
}

void execute(napi_env, void* data) {
  Work* w = static_cast<Work*>(data);
  try {
    if (w->train && w->timed) trainTimed(w);
    else w->result = w->train ? w->handle->stack->trainEpoch(w->orders, w->lrs, w->active, w->threads)
                              : w->handle->stack->evaluate(w->part, w->active, w->threads);
  } catch (const std::exception& e) {
    w->error = e.what();
  }
}

void complete(napi_env env, napi_status, void* data) {
  Work* w = static_cast<Work*>(data);
  w->handle->busy = false;
  if (!w->error.empty()) {
    napi_value msg, err;
    napi_create_string_utf8(env, w->error.c_str(), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  } else {
    napi_value ab, arr;
    void* raw;
    const size_t stride = w->timed ? 3 : 2;
    size_t n = w->result.size() * stride;
    napi_create_arraybuffer(env, n * sizeof(double), &raw, &ab);
    double* out = static_cast<double*>(raw);
    for (size_t i = 0; i < w->result.size(); i++) {
      out[stride * i] = w->result[i].loss;
      out[stride * i + 1] = w->result[i].metric;
      if (w->timed) out[stride * i + 2] = w->seconds[i];
    }
    napi_create_typedarray(env, napi_float64_array, n, ab, 0, &arr);
    napi_resolve_deferred(env, w->deferred, arr);
  }
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value queue(napi_env env, Work* w) {
  if (!w->handle || !w->handle->stack) {
    delete w;
    napi_throw_error(env, nullptr, "nnsearch native: stack was disposed");
    return nullptr;
  }
  if (w->handle->busy) {
    delete w;
    napi_throw_error(env, nullptr, "nnsearch native: stack is busy");
    return nullptr;
  }
  w->handle->busy = true;
  napi_value promise, name;
  CHECK(napi_create_promise(env, &w->deferred, &promise));
  napi_create_string_utf8(env, "nnsearch.train", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_create_async_work(env, nullptr, name, execute, complete, w, &w->work));
  CHECK(napi_queue_async_work(env, w->work));
  return promise;
}

/** The arguments train and evaluate share: handle first, active flags and thread count at given positions. */
Work* newWork(napi_env env, napi_value* args, size_t activeAt, size_t threadsAt, bool train) {
  Work* w = new Work();
  w->handle = unwrap(env, args[0]);
  w->active = activeFlags(env, args[activeAt]);
  double threads = 1;
  napi_get_value_double(env, args[threadsAt], &threads);
  w->threads = (int)threads;
  w->train = train;
  return w;
}

napi_value trainEpochWork(napi_env env, napi_callback_info info, bool timed) {
  size_t argc = 5;
  napi_value args[5];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  Work* w = newWork(env, args, 3, 4, true);
  w->timed = timed;
  uint32_t count = 0;
  napi_get_array_length(env, args[1], &count);
  for (uint32_t m = 0; m < count; m++) {
    napi_value o;
    napi_get_element(env, args[1], m, &o);
    w->orders.push_back(ints(env, o));
  }
  double* lr = nullptr;
  size_t nl = 0;
  typed(env, args[2], &lr, &nl);
  w->lrs.assign(lr, lr + nl);
  return queue(env, w);
}

napi_value TrainEpoch(napi_env env, napi_callback_info info) { return trainEpochWork(env, info, false); }
napi_value TrainEpochTimed(napi_env env, napi_callback_info info) { return trainEpochWork(env, info, true); }

napi_value Evaluate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  Work* w = newWork(env, args, 2, 3, false);
  double part = 0;
  napi_get_value_double(env, args[1], &part);
  w->part = (int)part;
  return queue(env, w);
}

napi_value GetWeights(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  Handle* h = unwrap(env, args[0]);
  double m = 0;
  napi_get_value_double(env, args[1], &m);
  std::vector<std::vector<float>> ws = h->stack->getWeights((int)m);
  napi_value out;
  napi_create_array_with_length(env, ws.size(), &out);
  for (size_t i = 0; i < ws.size(); i++) {
    napi_value ab, arr;
    void* raw;
    napi_create_arraybuffer(env, ws[i].size() * sizeof(float), &raw, &ab);
    std::memcpy(raw, ws[i].data(), ws[i].size() * sizeof(float));
    napi_create_typedarray(env, napi_float32_array, ws[i].size(), ab, 0, &arr);
    napi_set_element(env, out, (uint32_t)i, arr);
  }
  return out;
}

napi_value SetWeights(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  Handle* h = unwrap(env, args[0]);
  double m = 0;
  napi_get_value_double(env, args[1], &m);
  uint32_t n = 0;
  napi_get_array_length(env, args[2], &n);
  std::vector<std::vector<float>> ws;
  for (uint32_t i = 0; i < n; i++) {
    napi_value a;
    napi_get_element(env, args[2], i, &a);
    ws.push_back(floats(env, a));
  }
  try {
    h->stack->setWeights((int)m, ws);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value Dispose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr));
  Handle* h = unwrap(env, arg);
  if (h && !h->busy) release(env, h);
  return nullptr;
}

napi_value Hash32(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  uint32_t a = 0, b = 0;
  napi_get_value_uint32(env, args[0], &a);
  napi_get_value_uint32(env, args[1], &b);
  napi_value out;
  napi_create_uint32(env, nns::hash32(a, b), &out);
  return out;
}

napi_value stringValue(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/** An ISA name argument; throws (returns false) when it is not one or this CPU lacks it. */
bool isaArgument(napi_env env, napi_value v, nns::Isa* isa) {
  char name[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, name, sizeof name, &len) != napi_ok || !nns::parseIsa(name, isa)) {
    napi_throw_type_error(env, nullptr, "nnsearch native: isa must be portable, avx2 or avx512");
    return false;
  }
  if (!nns::isaSupported(*isa)) {
    napi_throw_error(env, nullptr, "nnsearch native: this CPU does not support that isa");
    return false;
  }
  return true;
}

napi_value Kernels(napi_env env, napi_callback_info) {
  napi_value out, list;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "isa", stringValue(env, nns::isaName(nns::activeIsa())));
  napi_set_named_property(env, out, "best", stringValue(env, nns::isaName(nns::bestIsa())));
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (nns::Isa isa : {nns::Isa::Portable, nns::Isa::Avx2, nns::Isa::Avx512})
    if (nns::isaSupported(isa)) napi_set_element(env, list, n++, stringValue(env, nns::isaName(isa)));
  napi_set_named_property(env, out, "supported", list);
  napi_set_named_property(env, out, "optimizer", stringValue(env, nns::isaName(nns::optimizerIsa())));
  return out;
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr));
  char name[32] = {0};
  size_t len = 0;
  nns::Isa isa;
  bool ok = napi_get_value_string_utf8(env, arg, name, sizeof name, &len) == napi_ok && nns::parseIsa(name, &isa) && nns::setActiveIsa(isa);
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value args[11];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t dims[3], lda = 0, ldb = 0;
  for (int i = 0; i < 3; i++) napi_get_value_int32(env, args[i], &dims[i]);
  napi_get_value_int32(env, args[4], &lda);
  napi_get_value_int32(env, args[7], &ldb);
  bool transA = false, transB = false;
  napi_get_value_bool(env, args[5], &transA);
  napi_get_value_bool(env, args[8], &transB);
  const int M = dims[0], N = dims[1], K = dims[2];
  float *A = nullptr, *B = nullptr, *bias = nullptr;
  size_t na = 0, nb = 0, nbias = 0;
  if (M <= 0 || N <= 0 || K < 0 || !typed(env, args[3], &A, &na) || !typed(env, args[6], &B, &nb)) {
    napi_throw_type_error(env, nullptr, "gemm: M, N > 0, K >= 0, A and B Float32Arrays");
    return nullptr;
  }
  // the last element each operand's layout reaches must lie inside it
  size_t needA = transA ? (size_t)(K - 1) * lda + M : (size_t)(M - 1) * lda + K;
  size_t needB = transB ? (size_t)(N - 1) * ldb + K : (size_t)(K - 1) * ldb + N;
  bool hasBias = typed(env, args[9], &bias, &nbias);
  if (K > 0 && (na < needA || nb < needB || lda < (transA ? M : K) || ldb < (transB ? K : N))) {
    napi_throw_range_error(env, nullptr, "gemm: an operand is smaller than its layout");
    return nullptr;
  }
  if (hasBias && nbias < (size_t)N) {
    napi_throw_range_error(env, nullptr, "gemm: bias shorter than N");
    return nullptr;
  }
  nns::Isa isa;
  if (!isaArgument(env, args[10], &isa)) return nullptr;
  napi_value ab, out;
  void* raw;
  CHECK(napi_create_arraybuffer(env, (size_t)M * N * sizeof(float), &raw, &ab));
  nns::GemmScratch scratch;
  nns::gemm(M, N, K, {A, lda, transA}, {B, ldb, transB}, static_cast<float*>(raw), N, hasBias ? bias : nullptr, scratch, isa);
  CHECK(napi_create_typedarray(env, napi_float32_array, (size_t)M * N, ab, 0, &out));
  return out;
}

napi_value FmaPeak(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  nns::Isa isa;
  if (!isaArgument(env, args[0], &isa)) return nullptr;
  double seconds = 0.5, threads = 1;
  napi_get_value_double(env, args[1], &seconds);
  napi_get_value_double(env, args[2], &threads);
  std::vector<double> each((size_t)std::max(1.0, threads));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < each.size(); t++) pool.emplace_back([&, t] { each[t] = nns::fmaPeakGflops(isa, seconds); });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double g : each) total += g;
  napi_value out;
  napi_create_double(env, total, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createStack", nullptr, CreateStack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trainEpoch", nullptr, TrainEpoch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trainEpochTimed", nullptr, TrainEpochTimed, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"evaluate", nullptr, Evaluate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getWeights", nullptr, GetWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setWeights", nullptr, SetWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dispose", nullptr, Dispose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"hash32", nullptr, Hash32, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernels", nullptr, Kernels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fmaPeak", nullptr, FmaPeak, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

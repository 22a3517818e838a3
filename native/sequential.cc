// See sequential.h. Row-major float32 buffers, NHWC; a flat sample of n features is 1 x 1 x n, so a
// Dense layer is a 1x1 convolution over the pixels of its input (Keras's Dense on the last axis).
#include "sequential.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <ctime>
#include <cstdio>
#include <cstdlib>

#include "gemm.h"
#include "mlp-internal.h"
#include "optimizer.h"
#include "sequential-simd.h"

namespace nns {

LayerSpec layerFromFields(const double* f) {
  LayerSpec s;
  s.kind = (LayerKind)(int)f[0];
  s.kh = (int)f[1];
  s.kw = (int)f[2];
  s.sh = (int)f[3];
  s.sw = (int)f[4];
  s.same = f[5] != 0;
  s.units = (int)f[6];
  s.activation = (Activation)(int)f[7];
  s.l1 = f[8];
  s.l2 = f[9];
  s.maxNorm = f[10];
  s.rate = f[11];
  s.momentum = f[12];
  s.epsilon = f[13];
  return s;
}

// ---------------------------------------------------------------- a small persistent thread pool

class Pool {
 public:
  explicit Pool(int threads) {
    for (int t = 1; t < threads; t++) workers_.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return (int)workers_.size() + 1; }
  // f(task, thread) for every task in [0, tasks), on the caller (thread 0) and the workers.
  void run(int tasks, const std::function<void(int, int)>& f) {
    if (workers_.empty() || tasks <= 1) {
      for (int i = 0; i < tasks; i++) f(i, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &f;
      tasks_ = tasks;
      next_ = 0;
      busy_ = (int)workers_.size();
      gen_++;
    }
    cv_.notify_all();
    work(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return busy_ == 0; });
    fn_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);  // a task's exception (bad_alloc...) reaches the caller, not std::terminate
    }
  }

 private:
  void work(int t) {
    for (int i; (i = next_++) < tasks_;) {
      try {
        (*fn_)(i, t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMu_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }
  void loop(int t) {
    long seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || gen_ != seen; });
        if (stop_) return;
        seen = gen_;
      }
      work(t);
      std::lock_guard<std::mutex> lock(mu_);
      if (--busy_ == 0) done_.notify_one();
    }
  }
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_;
  const std::function<void(int, int)>* fn_ = nullptr;
  int tasks_ = 0, busy_ = 0;
  std::atomic<int> next_{0};
  long gen_ = 0;
  bool stop_ = false;
  std::mutex errorMu_;
  std::exception_ptr error_;
};

// ---------------------------------------------------------------- layers

struct Geom {
  int inH = 1, inW = 1, inC = 1, outH = 1, outW = 1, outC = 1, padT = 0, padL = 0;
  bool spatialIn = false;  // the input has rank 3 (an image), not 1
  size_t inSize() const { return (size_t)inH * inW * inC; }
  size_t outSize() const { return (size_t)outH * outW * outC; }
};

// TensorFlow's rules (src/models/layers.ts): out size and the padding before ('same': odd pixel after).
static void axis(int in, int k, int s, bool same, int* out, int* before) {
  if (same) {
    *out = (in + s - 1) / s;
    int total = std::max((*out - 1) * s + k - in, 0);
    *before = total / 2;
  } else {
    *out = (in - k) / s + 1;
    *before = 0;
  }
}

struct SeqLayer {
  LayerSpec spec;
  Geom g;
  bool last = false;
  bool storeZ = false;  // keep the pre-activation apart (activations other than relu / linear)
  std::vector<float> W, b, gamma, beta, mm, mv;
  std::vector<float> gW, gb, ggamma, gbeta;
  std::vector<std::vector<float>> gWc, gbc;  // per-chunk partial gradients
  std::vector<float> slot[4][3];
  // per batch
  std::vector<float> Z, A, G;   // pre-activation (BN: xhat), output, dLoss/doutput
  std::vector<int32_t> argmax;  // max pooling: the input offset (within the sample) of each output
  std::vector<float> mask, mean, var;
  bool hasKernel() const { return spec.kind == CONV2D || spec.kind == DENSE; }
};

struct Scratch {
  GemmScratch gemm;
  AlignedFloats col, dcol, tmp;
};

static void im2col(const Geom& g, const LayerSpec& s, const float* in, int n, float* col) {
  const int C = g.inC, K = s.kh * s.kw * C;
  for (int i = 0; i < n; i++) {
    const float* x = in + (size_t)i * g.inSize();
    for (int oy = 0; oy < g.outH; oy++)
      for (int ox = 0; ox < g.outW; ox++) {
        float* row = col + (((size_t)i * g.outH + oy) * g.outW + ox) * K;
        const int x0 = ox * s.sw - g.padL;
        const bool inside = x0 >= 0 && x0 + s.kw <= g.inW;
        for (int ky = 0; ky < s.kh; ky++) {
          const int iy = oy * s.sh - g.padT + ky;
          float* dst = row + (size_t)ky * s.kw * C;
          if (iy < 0 || iy >= g.inH) {
            std::memset(dst, 0, sizeof(float) * s.kw * C);
            continue;
          }
          const float* src = x + ((size_t)iy * g.inW) * C;
          if (inside) {
            // a plain loop: the runs are short when channels are few (3 floats for a 3x3 kernel on gray images)
            const float* from = src + (size_t)x0 * C;
            for (int k = 0; k < s.kw * C; k++) dst[k] = from[k];
            continue;
          }
          for (int kx = 0; kx < s.kw; kx++) {
            const int ix = x0 + kx;
            if (ix < 0 || ix >= g.inW) std::memset(dst + (size_t)kx * C, 0, sizeof(float) * C);
            else std::memcpy(dst + (size_t)kx * C, src + (size_t)ix * C, sizeof(float) * C);
          }
        }
      }
  }
}

// dIn += the columns of dcol put back where im2col took them from.
static void col2im(const Geom& g, const LayerSpec& s, const float* dcol, int n, float* din) {
  const int C = g.inC, K = s.kh * s.kw * C;
  for (int i = 0; i < n; i++) {
    float* x = din + (size_t)i * g.inSize();
    for (int oy = 0; oy < g.outH; oy++)
      for (int ox = 0; ox < g.outW; ox++) {
        const float* row = dcol + (((size_t)i * g.outH + oy) * g.outW + ox) * K;
        for (int ky = 0; ky < s.kh; ky++) {
          const int iy = oy * s.sh - g.padT + ky;
          if (iy < 0 || iy >= g.inH) continue;
          for (int kx = 0; kx < s.kw; kx++) {
            const int ix = ox * s.sw - g.padL + kx;
            if (ix < 0 || ix >= g.inW) continue;
            const float* src = row + ((size_t)ky * s.kw + kx) * C;
            float* dst = x + ((size_t)iy * g.inW + ix) * C;
            for (int c = 0; c < C; c++) dst[c] += src[c];
          }
        }
      }
  }
}

// ---------------------------------------------------------------- one model

class SeqModel {
 public:
  SeqModel(const Data& data, const std::vector<int>& inputShape, const std::vector<LayerSpec>& specs, ModelConfig cfg)
      : data_(data), cfg_(std::move(cfg)) {
    Geom cur;
    if (inputShape.size() == 3) {
      cur.outH = inputShape[0];
      cur.outW = inputShape[1];
      cur.outC = inputShape[2];
    } else {
      cur.outC = inputShape.empty() ? data.d : inputShape[0];
    }
    bool spatial = inputShape.size() == 3;
    if ((int)cur.outSize() != data.d) throw std::runtime_error("sequential: the input shape does not match the data's " + std::to_string(data.d) + " features");
    if (specs.empty() || specs.back().kind != DENSE) throw std::runtime_error("sequential: the last layer must be the output Dense");
    for (size_t l = 0; l < specs.size(); l++) {
      SeqLayer L;
      L.spec = specs[l];
      const LayerSpec& s = L.spec;
      Geom& g = L.g;
      g.inH = cur.outH;
      g.inW = cur.outW;
      g.inC = cur.outC;
      g.spatialIn = spatial;
      g.outH = g.inH;
      g.outW = g.inW;
      g.outC = g.inC;
      switch (s.kind) {
        case CONV2D:
        case MAX_POOLING2D:
        case AVERAGE_POOLING2D:
          if (!spatial) throw std::runtime_error("sequential: layer " + std::to_string(l) + " needs images");
          axis(g.inH, s.kh, s.sh, s.same, &g.outH, &g.padT);
          axis(g.inW, s.kw, s.sw, s.same, &g.outW, &g.padL);
          if (s.kind == CONV2D) g.outC = s.units;
          break;
        case FLATTEN:
          g.outH = g.outW = 1;
          g.outC = (int)g.inSize();
          spatial = false;
          break;
        case GLOBAL_AVERAGE_POOLING2D:
          if (!spatial) throw std::runtime_error("sequential: layer " + std::to_string(l) + " needs images");
          g.outH = g.outW = 1;
          spatial = false;
          break;
        case DENSE:
          g.outC = s.units;
          break;
        case DROPOUT:
        case BATCH_NORMALIZATION:
          break;
      }
      if (g.outH < 1 || g.outW < 1 || g.outC < 1) throw std::runtime_error("sequential: layer " + std::to_string(l) + " has an empty output");
      L.last = l + 1 == specs.size();
      L.storeZ = L.hasKernel() && !L.last && s.activation != RELU && s.activation != LINEAR;
      if (L.hasKernel()) {
        size_t K = (size_t)s.kh * s.kw * g.inC;
        if (s.kind == DENSE) K = g.inC;
        L.W.assign(K * g.outC, 0);
        L.b.assign(g.outC, 0);
        L.gW.assign(L.W.size(), 0);
        L.gb.assign(g.outC, 0);
      } else if (s.kind == BATCH_NORMALIZATION) {
        L.gamma.assign(g.outC, 1);
        L.beta.assign(g.outC, 0);
        L.mm.assign(g.outC, 0);
        L.mv.assign(g.outC, 1);
        L.ggamma.assign(g.outC, 0);
        L.gbeta.assign(g.outC, 0);
      }
      const OptimizerConfig& o = cfg_.opt;
      int count = o.name == SGD ? (o.momentum > 0 ? 1 : 0) : o.name == ADAGRAD ? 1 : o.name == RMSPROP ? 3 : 2;
      std::vector<float>* params[4] = {&L.W, &L.b, &L.gamma, &L.beta};
      for (int t = 0; t < 4; t++) {
        if (params[t]->empty()) continue;
        for (int k = 0; k < count; k++) L.slot[t][k].assign(params[t]->size(), o.name == ADAGRAD ? (float)o.initialAccumulator : 0.0f);
      }
      layers_.push_back(std::move(L));
      cur = layers_.back().g;
    }
    if (layers_.back().g.outH * layers_.back().g.outW != 1) throw std::runtime_error("sequential: the output must be flat (add Flatten or GlobalAveragePooling2D)");
    setThreads(1);
  }

  void setThreads(int n) {
    n = std::max(1, n);
    if (!pool_ || pool_->threads() != n) pool_.reset(new Pool(n));
    if ((int)scratch_.size() < n) scratch_.resize(n);
  }

  std::vector<std::vector<float>> weights() const {
    std::vector<std::vector<float>> out;
    for (const SeqLayer& L : layers_) {
      if (L.hasKernel()) {
        out.push_back(L.W);
        out.push_back(L.b);
      } else if (L.spec.kind == BATCH_NORMALIZATION) {
        out.push_back(L.gamma);
        out.push_back(L.beta);
        out.push_back(L.mm);
        out.push_back(L.mv);
      }
    }
    return out;
  }

  void setWeights(const std::vector<std::vector<float>>& w) {
    size_t i = 0;
    auto take = [&](std::vector<float>& dst) {
      const std::vector<float>& src = w.at(i++);
      if (src.size() != dst.size()) throw std::runtime_error("sequential setWeights: weight " + std::to_string(i - 1) + " has " + std::to_string(src.size()) + " values, expected " + std::to_string(dst.size()));
      dst = src;
    };
    for (SeqLayer& L : layers_) {
      if (L.hasKernel()) {
        take(L.W);
        take(L.b);
      } else if (L.spec.kind == BATCH_NORMALIZATION) {
        take(L.gamma);
        take(L.beta);
        take(L.mm);
        take(L.mv);
      }
    }
    if (i != w.size()) throw std::runtime_error("sequential setWeights: " + std::to_string(w.size()) + " arrays, expected " + std::to_string(i));
  }

  Sums trainEpoch(const std::vector<int>& order, double lr) {
    int n = (int)order.size();
    int B = cfg_.batchSize;
    Sums sums;
    std::vector<int> rows;
    for (int start = 0; start < n; start += B) {
      int R = std::min(B, n - start);
      rows.resize(R);
      for (int i = 0; i < R; i++) rows[i] = cfg_.fit[order[start + i]];
      Sums s = step(rows, lr);
      sums.loss += s.loss;
      sums.metric += s.metric;
    }
    Sums out;
    out.loss = sums.loss / n;
    out.metric = cfg_.metric == LOSS ? out.loss : sums.metric / n;
    return out;
  }

  Sums evaluate(int part) {
    const std::vector<int>& list = part == 0 ? cfg_.validation : cfg_.test;
    int n = (int)list.size();
    Sums sums;
    // inference a batch at a time (at least 32 samples, at most 256): a conv net's activations are
    // large, and the buffers grow to the largest batch they have held
    const int CHUNK = std::min(256, std::max(32, cfg_.batchSize));
    std::vector<int> rows;
    for (int start = 0; start < n; start += CHUNK) {
      int R = std::min(CHUNK, n - start);
      rows.assign(list.begin() + start, list.begin() + start + R);
      gather(rows);
      forward(R, false);
      Sums s = lossAndMetricRows(cfg_, layers_.back().A.data(), T_.data(), R, layers_.back().g.outC, P_, nullptr);
      sums.loss += s.loss;
      sums.metric += s.metric;
    }
    Sums out;
    out.loss = sums.loss / n + penalty();
    out.metric = cfg_.metric == LOSS ? out.loss : sums.metric / n;
    return out;
  }

 private:
  const Data& data_;
  ModelConfig cfg_;
  std::vector<SeqLayer> layers_;
  long iterations_ = 0;
  std::vector<float> X_, T_, P_, grad_;
  std::unique_ptr<Pool> pool_;
  std::vector<Scratch> scratch_;
  // NNSEARCH_PROFILE=1: seconds per layer (forward, backward) and in the updates, printed to stderr
  // when the model is freed (for tuning; off otherwise)
  bool profile_ = std::getenv("NNSEARCH_PROFILE") != nullptr;
  std::vector<double> fwdSeconds_, bwdSeconds_;
  double updateSeconds_ = 0, lossSeconds_ = 0;
  // the calling thread's CPU time (other processes' load does not count; one model on one thread
  // is the case to profile)
  static double now() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
  }

 public:
  ~SeqModel() {
    if (!profile_ || fwdSeconds_.empty()) return;
    for (size_t l = 0; l < layers_.size(); l++)
      std::fprintf(stderr, "layer %zu kind %d: forward %.3f s, backward %.3f s\n", l, (int)layers_[l].spec.kind, fwdSeconds_[l], bwdSeconds_[l]);
    std::fprintf(stderr, "loss %.3f s, updates %.3f s\n", lossSeconds_, updateSeconds_);
  }

 private:
  // the batch's chunks of samples: [chunkStart(c), chunkStart(c + 1))
  int rows_ = 0, chunk_ = 1, chunks_ = 1;

  void setChunks(int R) {
    rows_ = R;
    chunk_ = std::max(16, (R + 7) / 8);
    chunks_ = (R + chunk_ - 1) / chunk_;
  }
  int chunkStart(int c) const { return std::min(rows_, c * chunk_); }

  void forEachChunk(const std::function<void(int, int, int, int)>& f) {
    pool_->run(chunks_, [&](int c, int t) { f(c, chunkStart(c), chunkStart(c + 1), t); });
  }

  void gather(const std::vector<int>& rows) {
    int R = (int)rows.size(), d = data_.d;
    X_.resize((size_t)R * d);
    bool scale = !cfg_.scalerOffset.empty();
    for (int r = 0; r < R; r++) {
      const float* src = data_.x + (size_t)rows[r] * d;
      float* dst = X_.data() + (size_t)r * d;
      if (scale)
        for (int j = 0; j < d; j++) dst[j] = (src[j] - cfg_.scalerOffset[j]) * cfg_.scalerFactor[j];
      else
        std::memcpy(dst, src, d * sizeof(float));
    }
    int w = layers_.back().g.outC;
    T_.assign((size_t)R * w, 0);
    bool oneHot = data_.classification && w > 1;
    for (int r = 0; r < R; r++) {
      float y = data_.y[rows[r]];
      if (oneHot) T_[(size_t)r * w + (int)y] = 1;
      else T_[(size_t)r * w] = y;
    }
  }

  const float* inputOf(int l) const { return l == 0 ? X_.data() : layers_[l - 1].A.data(); }

  // Samples per product inside a chunk, so that the im2col block stays near the caches.
  static int subBlock(const SeqLayer& L) { return std::max(1, 512 / (L.g.outH * L.g.outW)); }

  // Whether the layer's input is its GEMM's left operand as it is (Dense, a 1x1 conv of stride 1),
  // with no im2col.
  static bool direct(const LayerSpec& s) { return s.kind == DENSE || (s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1); }

  // The GEMM's left operand for samples [i, i + n): the input itself when direct, else its im2col
  // columns in sc.col.
  static const float* columns(const SeqLayer& L, const float* in, int i, int n, Scratch& sc) {
    const float* x = in + (size_t)i * L.g.inSize();
    if (direct(L.spec)) return x;
    float* buf = sc.col.reserve((size_t)n * L.g.outH * L.g.outW * (L.W.size() / L.g.outC));
    im2col(L.g, L.spec, x, n, buf);
    return buf;
  }

  // Z (or A) = conv(in) + b, then the activation, for samples [s0, s1).
  void kernelForward(SeqLayer& L, const float* in, int s0, int s1, Scratch& sc) {
    const Geom& g = L.g;
    const LayerSpec& s = L.spec;
    const int K = (int)(L.W.size() / g.outC), P = g.outH * g.outW, sub = subBlock(L);
    for (int i = s0; i < s1; i += sub) {
      int n = std::min(sub, s1 - i);
      const float* col = columns(L, in, i, n, sc);
      float* out = (L.storeZ ? L.Z.data() : L.A.data()) + (size_t)i * g.outSize();
      gemm(n * P, g.outC, K, {col, K, false}, {L.W.data(), g.outC, false}, out, g.outC, L.b.data(), sc.gemm);
      if (!L.last) activateRows(s.activation, out, L.A.data() + (size_t)i * g.outSize(), n * P, g.outC);
    }
  }

  // Chunk c's weight gradients and dIn (when din != null) from G (dLoss/doutput) of samples [s0, s1).
  void kernelBackward(SeqLayer& L, const float* in, float* din, int c, int s0, int s1, Scratch& sc) {
    const Geom& g = L.g;
    const LayerSpec& s = L.spec;
    const int K = (int)(L.W.size() / g.outC), P = g.outH * g.outW, sub = subBlock(L);
    float* G = L.G.data() + (size_t)s0 * g.outSize();
    if (!L.last) {
      const float* z = (L.storeZ ? L.Z.data() : L.A.data()) + (size_t)s0 * g.outSize();
      activationBackward(s.activation, z, L.A.data() + (size_t)s0 * g.outSize(), G, (s1 - s0) * P, g.outC);
    }
    std::vector<float>& gW = L.gWc[c];
    std::vector<float>& gb = L.gbc[c];
    std::fill(gb.begin(), gb.end(), 0.0f);
    if (din) std::memset(din + (size_t)s0 * g.inSize(), 0, sizeof(float) * (s1 - s0) * g.inSize());
    for (int i = s0; i < s1; i += sub) {
      int n = std::min(sub, s1 - i);
      const float* col = columns(L, in, i, n, sc);
      const float* gi = L.G.data() + (size_t)i * g.outSize();
      float* dst = i == s0 ? gW.data() : sc.tmp.reserve(gW.size());
      gemm(K, g.outC, n * P, {col, K, true}, {gi, g.outC, false}, dst, g.outC, nullptr, sc.gemm);
      if (i != s0)
        for (size_t k = 0; k < gW.size(); k++) gW[k] += dst[k];
      for (int r = 0; r < n * P; r++) {
        const float* gr = gi + (size_t)r * g.outC;
        for (int j = 0; j < g.outC; j++) gb[j] += gr[j];
      }
      if (din) {
        float* dx = din + (size_t)i * g.inSize();
        if (direct(s)) {
          // dIn = G W^T straight into place (1x1: the columns are the input)
          gemm(n * P, K, g.outC, {gi, g.outC, false}, {L.W.data(), g.outC, true}, dx, K, nullptr, sc.gemm);
        } else {
          float* dcol = sc.dcol.reserve((size_t)n * P * K);
          gemm(n * P, K, g.outC, {gi, g.outC, false}, {L.W.data(), g.outC, true}, dcol, K, nullptr, sc.gemm);
          col2im(g, s, dcol, n, dx);
        }
      }
    }
  }

  static void addPenaltyGradient(SeqLayer& L) {
    if (L.spec.l1 > 0 || L.spec.l2 > 0)
      for (size_t i = 0; i < L.W.size(); i++) {
        float w = L.W[i];
        L.gW[i] += (float)(L.spec.l1 * ((w > 0) - (w < 0)) + 2 * L.spec.l2 * w);
      }
  }

  // Dense: dZ through the activation and dIn per chunk of samples; dW = in^T dZ as one product over
  // the whole batch, its rows (input features) split over the threads (the GEMM sums each element
  // over the same samples in the same order whichever block holds its row, so the thread count
  // does not change it); db by columns, in sample order.
  void denseBackward(SeqLayer& L, const float* in, float* din, int R) {
    const Geom& g = L.g;
    const int K = g.inC, N = g.outC, rows = R * g.outH * g.outW;
    forEachChunk([&](int, int s0, int s1, int t) {
      const int r0 = s0 * g.outH * g.outW, r1 = s1 * g.outH * g.outW;
      float* G = L.G.data() + (size_t)r0 * N;
      if (!L.last) {
        const float* z = (L.storeZ ? L.Z.data() : L.A.data()) + (size_t)r0 * N;
        activationBackward(L.spec.activation, z, L.A.data() + (size_t)r0 * N, G, r1 - r0, N);
      }
      if (din) gemm(r1 - r0, K, N, {G, N, false}, {L.W.data(), N, true}, din + (size_t)r0 * K, K, nullptr, scratch_[t].gemm);
    });
    // as many row blocks as threads (each a product that packs G once), in multiples of 64 rows
    const int threads = pool_->threads();
    const int BLOCK = std::max(64, (K + threads - 1) / threads + 63) / 64 * 64, blocks = (K + BLOCK - 1) / BLOCK;
    pool_->run(blocks + 1, [&](int b, int t) {
      if (b == blocks) {  // the bias
        std::fill(L.gb.begin(), L.gb.end(), 0.0f);
        for (int r = 0; r < rows; r++)
          for (int j = 0; j < N; j++) L.gb[j] += L.G[(size_t)r * N + j];
        return;
      }
      const int i0 = b * BLOCK, n = std::min(BLOCK, K - i0);
      gemm(n, N, rows, {in + i0, K, true}, {L.G.data(), N, false}, L.gW.data() + (size_t)i0 * N, N, nullptr, scratch_[t].gemm);
    });
    addPenaltyGradient(L);
  }

  void poolForward(SeqLayer& L, const float* in, int s0, int s1, bool training) {
    const Geom& g = L.g;
    const LayerSpec& s = L.spec;
    const int C = g.inC;
    const bool isMax = s.kind == MAX_POOLING2D;
    for (int i = s0; i < s1; i++) {
      const float* x = in + (size_t)i * g.inSize();
      float* y = L.A.data() + (size_t)i * g.outSize();
      int32_t* idx = isMax && training ? L.argmax.data() + (size_t)i * g.outSize() : nullptr;
      for (int oy = 0; oy < g.outH; oy++) {
        const int y0 = std::max(0, oy * s.sh - g.padT), y1 = std::min(g.inH, oy * s.sh - g.padT + s.kh);
        for (int ox = 0; ox < g.outW; ox++) {
          const int x0 = std::max(0, ox * s.sw - g.padL), x1 = std::min(g.inW, ox * s.sw - g.padL + s.kw);
          float* yo = y + ((size_t)oy * g.outW + ox) * C;
          int32_t* io = idx ? idx + ((size_t)oy * g.outW + ox) * C : nullptr;
          if (isMax) {
            // the first real cell of the window, then the first strictly larger one wins (PyTorch's
            // and TensorFlow's choice among ties)
            const int first = (y0 * g.inW + x0) * C;
            for (int c = 0; c < C; c++) yo[c] = x[first + c];
            if (io)
              for (int c = 0; c < C; c++) io[c] = first + c;
            for (int iy = y0; iy < y1; iy++)
              for (int ix = x0; ix < x1; ix++) {
                const int base = (iy * g.inW + ix) * C;
                const float* xi = x + base;
                if (io) {
                  maxCell(xi, yo, io, base, C);
                } else {
                  for (int c = 0; c < C; c++) yo[c] = std::max(yo[c], xi[c]);
                }
              }
          } else {
            for (int c = 0; c < C; c++) yo[c] = 0;
            for (int iy = y0; iy < y1; iy++)
              for (int ix = x0; ix < x1; ix++) {
                const float* xi = x + ((size_t)iy * g.inW + ix) * C;
                for (int c = 0; c < C; c++) yo[c] += xi[c];
              }
            const float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
            for (int c = 0; c < C; c++) yo[c] *= inv;
          }
        }
      }
    }
  }

  void poolBackward(SeqLayer& L, float* din, int s0, int s1) {
    const Geom& g = L.g;
    const LayerSpec& s = L.spec;
    const int C = g.inC;
    std::memset(din + (size_t)s0 * g.inSize(), 0, sizeof(float) * (s1 - s0) * g.inSize());
    for (int i = s0; i < s1; i++) {
      float* dx = din + (size_t)i * g.inSize();
      const float* gy = L.G.data() + (size_t)i * g.outSize();
      if (s.kind == MAX_POOLING2D) {
        const int32_t* idx = L.argmax.data() + (size_t)i * g.outSize();
        for (size_t o = 0; o < g.outSize(); o++) dx[idx[o]] += gy[o];
        continue;
      }
      for (int oy = 0; oy < g.outH; oy++) {
        const int y0 = std::max(0, oy * s.sh - g.padT), y1 = std::min(g.inH, oy * s.sh - g.padT + s.kh);
        for (int ox = 0; ox < g.outW; ox++) {
          const int x0 = std::max(0, ox * s.sw - g.padL), x1 = std::min(g.inW, ox * s.sw - g.padL + s.kw);
          const float* go = gy + ((size_t)oy * g.outW + ox) * C;
          const float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
          for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) {
              float* d = dx + ((size_t)iy * g.inW + ix) * C;
              for (int c = 0; c < C; c++) d[c] += go[c] * inv;
            }
        }
      }
    }
  }

  void batchNormForward(SeqLayer& L, const float* in, int R, bool training) {
    const int C = L.g.outC;
    const size_t rows = (size_t)R * L.g.outH * L.g.outW;
    const float eps = (float)L.spec.epsilon;
    L.mean.assign(C, 0);
    L.var.assign(C, 0);
    if (training) {
      std::vector<double> s(C, 0), q(C, 0);
      for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) s[c] += in[r * C + c];
      for (int c = 0; c < C; c++) s[c] /= (double)rows;
      for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < C; c++) {
          double d = in[r * C + c] - s[c];
          q[c] += d * d;
        }
      for (int c = 0; c < C; c++) {
        L.mean[c] = (float)s[c];
        L.var[c] = (float)(q[c] / (double)rows);
      }
    } else {
      L.mean = L.mm;
      L.var = L.mv;
    }
    std::vector<float> inv(C);
    for (int c = 0; c < C; c++) inv[c] = 1.0f / std::sqrt(L.var[c] + eps);
    for (size_t r = 0; r < rows; r++)
      for (int c = 0; c < C; c++) {
        size_t i = r * C + c;
        float xhat = (in[i] - L.mean[c]) * inv[c];
        L.Z[i] = xhat;
        L.A[i] = xhat * L.gamma[c] + L.beta[c];
      }
  }

  void batchNormBackward(SeqLayer& L, float* din, int R) {
    const int C = L.g.outC;
    const size_t rows = (size_t)R * L.g.outH * L.g.outW;
    std::vector<double> sg(C, 0), sgx(C, 0);
    const float* G = L.G.data();
    for (size_t r = 0; r < rows; r++)
      for (int c = 0; c < C; c++) {
        size_t i = r * C + c;
        sg[c] += G[i];
        sgx[c] += (double)G[i] * L.Z[i];
      }
    std::vector<float> a(C), mg(C), mgx(C);
    for (int c = 0; c < C; c++) {
      L.gbeta[c] = (float)sg[c];
      L.ggamma[c] = (float)sgx[c];
      a[c] = (float)(L.gamma[c] / std::sqrt((double)L.var[c] + L.spec.epsilon));
      mg[c] = (float)(sg[c] / (double)rows);
      mgx[c] = (float)(sgx[c] / (double)rows);
    }
    if (!din) return;
    for (size_t r = 0; r < rows; r++)
      for (int c = 0; c < C; c++) {
        size_t i = r * C + c;
        din[i] = a[c] * (G[i] - mg[c] - L.Z[i] * mgx[c]);
      }
  }

  // One layer's forward for samples [s0, s1): every kind but BatchNormalization, whose statistics
  // span the batch.
  void forwardRange(int l, int s0, int s1, int t, bool training) {
    SeqLayer& L = layers_[l];
    const float* in = inputOf(l);
    const size_t size = L.g.outSize();
    switch (L.spec.kind) {
      case CONV2D:
      case DENSE:
        kernelForward(L, in, s0, s1, scratch_[t]);
        break;
      case MAX_POOLING2D:
      case AVERAGE_POOLING2D:
        poolForward(L, in, s0, s1, training);
        break;
      case GLOBAL_AVERAGE_POOLING2D: {
        const int P = L.g.inH * L.g.inW, C = L.g.inC;
        for (int i = s0; i < s1; i++) {
          float* y = L.A.data() + (size_t)i * C;
          const float* x = in + (size_t)i * L.g.inSize();
          for (int c = 0; c < C; c++) y[c] = 0;
          for (int p = 0; p < P; p++)
            for (int c = 0; c < C; c++) y[c] += x[(size_t)p * C + c];
          for (int c = 0; c < C; c++) y[c] /= (float)P;
        }
        break;
      }
      case DROPOUT:
        if (training && L.spec.rate > 0) {
          const uint32_t key = dropoutKey(cfg_.seed, (uint32_t)iterations_, (uint32_t)l);
          const float keep = (float)(1.0 / (1.0 - L.spec.rate));
          const double rate = L.spec.rate;
          for (size_t i = (size_t)s0 * size; i < (size_t)s1 * size; i++) {
            double u = (double)(hash32(key, (uint32_t)i) >> 8) / 16777216.0;
            L.mask[i] = u >= rate ? keep : 0.0f;
            L.A[i] = in[i] * L.mask[i];
          }
          break;
        }
        [[fallthrough]];  // a copy
      case FLATTEN:
        std::memcpy(L.A.data() + (size_t)s0 * size, in + (size_t)s0 * size, (size_t)(s1 - s0) * size * sizeof(float));
        break;
      case BATCH_NORMALIZATION:
        break;
    }
  }

  // Samples that go through a run of layers together in the forward pass, so each layer's output
  // is read by the next while still in the caches (the per-sample results do not depend on it).
  static const int FORWARD_SAMPLES = 4;

  void forward(int R, bool training) {
    setChunks(R);
    const int NL = (int)layers_.size();
    fwdSeconds_.resize(NL);
    for (SeqLayer& L : layers_) {
      const size_t out = (size_t)R * L.g.outSize();
      L.A.resize(out);
      if (L.storeZ || L.spec.kind == BATCH_NORMALIZATION) L.Z.resize(out);
      if (training && L.spec.kind == MAX_POOLING2D) L.argmax.resize(out);
      if (training && L.spec.kind == DROPOUT && L.spec.rate > 0) L.mask.resize(out);
    }
    const bool lap = profile_ && training && pool_->threads() == 1;
    for (int l = 0; l < NL;) {
      if (layers_[l].spec.kind == BATCH_NORMALIZATION) {
        const double t0 = lap ? now() : 0;
        batchNormForward(layers_[l], inputOf(l), R, training);
        if (lap) fwdSeconds_[l] += now() - t0;
        l++;
        continue;
      }
      int end = l;
      while (end < NL && layers_[end].spec.kind != BATCH_NORMALIZATION) end++;
      forEachChunk([&](int, int s0, int s1, int t) {
        for (int s = s0; s < s1; s += FORWARD_SAMPLES)
          for (int k = l; k < end; k++) {
            const double t0 = lap ? now() : 0;
            forwardRange(k, s, std::min(s + FORWARD_SAMPLES, s1), t, training);
            if (lap) fwdSeconds_[k] += now() - t0;
          }
      });
      l = end;
    }
  }

  // One layer's backward for chunk c (samples [s0, s1)): Conv2D (its chunk's weight gradient),
  // pooling, Flatten, GlobalAveragePooling2D, Dropout.
  void backwardRange(int l, int c, int s0, int s1, int t) {
    SeqLayer& L = layers_[l];
    const float* in = inputOf(l);
    float* din = l > 0 ? layers_[l - 1].G.data() : nullptr;
    const size_t size = L.g.outSize();
    switch (L.spec.kind) {
      case CONV2D:
        kernelBackward(L, in, din, c, s0, s1, scratch_[t]);
        break;
      case MAX_POOLING2D:
      case AVERAGE_POOLING2D:
        if (din) poolBackward(L, din, s0, s1);
        break;
      case GLOBAL_AVERAGE_POOLING2D:
        if (din) {
          const int P = L.g.inH * L.g.inW, C = L.g.inC;
          for (int i = s0; i < s1; i++) {
            const float* gy = L.G.data() + (size_t)i * C;
            float* dx = din + (size_t)i * L.g.inSize();
            for (int p = 0; p < P; p++)
              for (int ch = 0; ch < C; ch++) dx[(size_t)p * C + ch] = gy[ch] / (float)P;
          }
        }
        break;
      case DROPOUT:
        if (din && L.spec.rate > 0) {
          for (size_t i = (size_t)s0 * size; i < (size_t)s1 * size; i++) din[i] = L.G[i] * L.mask[i];
          break;
        }
        [[fallthrough]];  // a copy
      case FLATTEN:
        if (din) std::memcpy(din + (size_t)s0 * size, L.G.data() + (size_t)s0 * size, (size_t)(s1 - s0) * size * sizeof(float));
        break;
      case DENSE:
      case BATCH_NORMALIZATION:
        break;
    }
  }

  static bool chunkedBackward(LayerKind k) { return k != DENSE && k != BATCH_NORMALIZATION; }

  double penalty() const {
    double total = 0;
    for (const SeqLayer& L : layers_) {
      if (!L.hasKernel() || (L.spec.l1 == 0 && L.spec.l2 == 0)) continue;
      double s1 = 0, s2 = 0;
      for (float w : L.W) {
        s1 += std::fabs(w);
        s2 += (double)w * w;
      }
      total += L.spec.l1 * s1 + L.spec.l2 * s2;
    }
    return total;
  }

  // gW = the chunks' partial sums, in chunk order, split over the threads by element ranges.
  void reduceChunks(std::vector<float>& dst, const std::vector<std::vector<float>>& parts) {
    const size_t n = dst.size();
    const int tasks = std::min<int>(pool_->threads(), (int)std::max<size_t>(1, n / 4096));
    pool_->run(tasks, [&](int k, int) {
      size_t a = n * k / tasks, b = n * (k + 1) / tasks;
      for (size_t i = a; i < b; i++) dst[i] = parts[0][i];
      for (int c = 1; c < chunks_; c++)
        for (size_t i = a; i < b; i++) dst[i] += parts[c][i];
    });
  }

  Sums step(const std::vector<int>& rows, double lr) {
    const int R = (int)rows.size();
    const int NL = (int)layers_.size();
    gather(rows);
    forward(R, true);
    SeqLayer& out = layers_.back();
    Sums s = lossAndMetricRows(cfg_, out.A.data(), T_.data(), R, out.g.outC, P_, &out.G);
    Sums result;
    result.loss = (s.loss / R + penalty()) * R;
    result.metric = s.metric;
    bwdSeconds_.resize(NL);
    for (int l = 1; l < NL; l++) layers_[l - 1].G.resize((size_t)R * layers_[l].g.inSize());
    const bool lap = profile_ && pool_->threads() == 1;
    // Dense and BatchNormalization layers one at a time over the whole batch; every run of the other
    // kinds chunk by chunk, each chunk through the whole run (its gradients still in the caches).
    for (int l = NL - 1; l >= 0;) {
      SeqLayer& L = layers_[l];
      float* din = l > 0 ? layers_[l - 1].G.data() : nullptr;
      if (!chunkedBackward(L.spec.kind)) {
        const double t0 = lap ? now() : 0;
        if (L.spec.kind == DENSE) denseBackward(L, inputOf(l), din, R);
        else batchNormBackward(L, din, R);
        if (lap) bwdSeconds_[l] += now() - t0;
        l--;
        continue;
      }
      int first = l;
      while (first > 0 && chunkedBackward(layers_[first - 1].spec.kind)) first--;
      for (int k = first; k <= l; k++) {
        SeqLayer& C = layers_[k];
        if (C.spec.kind != CONV2D) continue;
        if ((int)C.gWc.size() < chunks_) {
          C.gWc.resize(chunks_);
          C.gbc.resize(chunks_);
        }
        for (int c = 0; c < chunks_; c++) {
          C.gWc[c].resize(C.W.size());
          C.gbc[c].resize(C.b.size());
        }
      }
      forEachChunk([&](int c, int s0, int s1, int t) {
        for (int k = l; k >= first; k--) {
          const double t0 = lap ? now() : 0;
          backwardRange(k, c, s0, s1, t);
          if (lap) bwdSeconds_[k] += now() - t0;
        }
      });
      for (int k = first; k <= l; k++) {
        SeqLayer& C = layers_[k];
        if (C.spec.kind != CONV2D) continue;
        const double t0 = lap ? now() : 0;
        reduceChunks(C.gW, C.gWc);
        std::copy(C.gbc[0].begin(), C.gbc[0].end(), C.gb.begin());
        for (int c = 1; c < chunks_; c++)
          for (size_t j = 0; j < C.gb.size(); j++) C.gb[j] += C.gbc[c][j];
        addPenaltyGradient(C);
        if (lap) bwdSeconds_[k] += now() - t0;
      }
      l = first - 1;
    }
    // BN moving statistics from this batch (Keras: unbiased variance for images, the fused kernel's)
    for (SeqLayer& L : layers_) {
      if (L.spec.kind != BATCH_NORMALIZATION) continue;
      const double n = (double)R * L.g.outH * L.g.outW;
      const float m = (float)L.spec.momentum, rest = (float)(1 - L.spec.momentum);
      const double unbias = L.g.spatialIn && n > 1 ? n / (n - 1) : 1.0;
      for (int c = 0; c < L.g.outC; c++) {
        L.mm[c] = L.mm[c] * m + L.mean[c] * rest;
        L.mv[c] = L.mv[c] * m + (float)(L.var[c] * unbias) * rest;
      }
    }
    const double u0 = profile_ ? now() : 0;
    applyUpdates(lr);
    if (profile_) updateSeconds_ += now() - u0;
    return result;
  }

  void applyUpdates(double lr) {
    const OptimizerConfig& o = cfg_.opt;
    double rate = o.decay > 0 ? lr / (1 + o.decay * iterations_) : lr;
    long t = iterations_ + 1;
    for (SeqLayer& L : layers_) {
      std::vector<float>* params[4] = {&L.W, &L.b, &L.gamma, &L.beta};
      std::vector<float>* grads[4] = {&L.gW, &L.gb, &L.ggamma, &L.gbeta};
      for (int k = 0; k < 4; k++) {
        if (params[k]->empty()) continue;
        float* slots[3] = {L.slot[k][0].data(), L.slot[k][1].data(), L.slot[k][2].data()};
        optimizerStep(o, params[k]->data(), grads[k]->data(), params[k]->size(), slots, rate, t);
      }
      if (L.hasKernel() && L.spec.maxNorm > 0) {
        // Keras MaxNorm: per output unit / filter over all other axes
        const int out = L.g.outC, in = (int)(L.W.size() / out);
        for (int j = 0; j < out; j++) {
          double sq = 0;
          for (int i = 0; i < in; i++) sq += (double)L.W[(size_t)i * out + j] * L.W[(size_t)i * out + j];
          double norm = std::sqrt(sq);
          double factor = std::min(std::max(norm, 0.0), L.spec.maxNorm) / (1e-7 + norm);
          for (int i = 0; i < in; i++) L.W[(size_t)i * out + j] = (float)(L.W[(size_t)i * out + j] * factor);
        }
      }
    }
    iterations_++;
  }
};

// ---------------------------------------------------------------- the stack

SequentialStack::SequentialStack(const Data& data, std::vector<int> inputShape, std::vector<std::vector<LayerSpec>> layers,
                                 std::vector<ModelConfig> configs)
    : data_(data) {
  if (layers.size() != configs.size()) throw std::runtime_error("sequential: one layer list per model");
  try {
    for (size_t m = 0; m < configs.size(); m++) models_.push_back(new SeqModel(data_, inputShape, layers[m], std::move(configs[m])));
  } catch (...) {
    for (SeqModel* p : models_) delete p;
    throw;
  }
}

SequentialStack::~SequentialStack() {
  for (SeqModel* m : models_) delete m;
}

// Runs f(model) for the active models, spread over `threads`: one model per thread while there are
// at least as many models as threads, else each model gets threads / models of them.
template <class F>
static std::vector<Sums> overModels(std::vector<SeqModel*>& models, const std::vector<uint8_t>& active, int threads, F f) {
  std::vector<Sums> out(models.size());
  std::vector<int> todo;
  for (size_t m = 0; m < models.size(); m++) {
    if (m < active.size() && active[m]) todo.push_back((int)m);
    else out[m].loss = out[m].metric = std::numeric_limits<double>::quiet_NaN();
  }
  if (todo.empty()) return out;
  const int outer = std::max(1, std::min(threads, (int)todo.size()));
  const int inner = std::max(1, threads / outer);
  std::atomic<int> next{0};
  std::string error;
  std::mutex errorMu;
  auto run = [&] {
    for (int i; (i = next++) < (int)todo.size();) {
      try {
        SeqModel* model = models[todo[i]];
        model->setThreads(inner);
        out[todo[i]] = f(model, todo[i]);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(errorMu);
        if (error.empty()) error = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < outer; t++) pool.emplace_back(run);
  run();
  for (auto& th : pool) th.join();
  if (!error.empty()) throw std::runtime_error(error);
  return out;
}

std::vector<Sums> SequentialStack::trainEpoch(const std::vector<std::vector<int>>& orders, const std::vector<double>& lrs,
                                              const std::vector<uint8_t>& active, int threads) {
  return overModels(models_, active, threads, [&](SeqModel* model, int m) { return model->trainEpoch(orders.at(m), lrs.at(m)); });
}

std::vector<Sums> SequentialStack::evaluate(int part, const std::vector<uint8_t>& active, int threads) {
  return overModels(models_, active, threads, [&](SeqModel* model, int) { return model->evaluate(part); });
}

std::vector<std::vector<float>> SequentialStack::getWeights(int m) const { return models_.at(m)->weights(); }

void SequentialStack::setWeights(int m, const std::vector<std::vector<float>>& w) { models_.at(m)->setWeights(w); }

}  // namespace nns

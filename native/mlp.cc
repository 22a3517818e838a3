// See mlp.h. Row-major float32 buffers; double for scalars and sums, as the TypeScript reference.
#include "mlp.h"

#include "gemm.h"
#include "mlp-internal.h"
#include "optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <atomic>
#include <limits>
#include <thread>

namespace nns {

// ---------------------------------------------------------------- counter-based RNG (= rng.ts)

uint32_t hash32(uint32_t key, uint32_t counter) {
  uint32_t x = key ^ (counter * 0x9e3779b9u);
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  x += key;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  return x;
}

static uint32_t mixSeed(std::initializer_list<uint32_t> parts) {
  uint32_t h = 0x243f6a88u;
  for (uint32_t p : parts) h = hash32(h, p);
  return h;
}

uint32_t mixSeed3(uint32_t a, uint32_t b, uint32_t c) { return mixSeed({a, b, c}); }

static const uint32_t DROPOUT_STREAM = 0x44524f50u;  // 'DROP'

uint32_t dropoutKey(uint32_t seed, uint32_t step, uint32_t layer) {
  return hash32(mixSeed({seed, DROPOUT_STREAM, layer}), step);
}

// ---------------------------------------------------------------- activations

static const double SELU_SCALE = 1.0507009873554805, SELU_ALPHA = 1.6732632423543772, LEAKY = 0.2;

void activateRows(Activation act, const float* z, float* a, int R, int U) {
  size_t n = (size_t)R * U;
  switch (act) {
    case RELU: for (size_t i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : 0; break;
    case TANH: for (size_t i = 0; i < n; i++) a[i] = std::tanh(z[i]); break;
    case SIGMOID: for (size_t i = 0; i < n; i++) a[i] = 1.0f / (1.0f + std::exp(-z[i])); break;
    case SOFTPLUS: for (size_t i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] + std::log1p(std::exp(-z[i])) : std::log1p(std::exp(z[i])); break;
    case SOFTSIGN: for (size_t i = 0; i < n; i++) a[i] = z[i] / (1.0f + std::fabs(z[i])); break;
    case SELU: for (size_t i = 0; i < n; i++) a[i] = z[i] > 0 ? (float)(SELU_SCALE * z[i]) : (float)(SELU_SCALE * SELU_ALPHA * std::expm1(z[i])); break;
    case ELU: for (size_t i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : std::expm1(z[i]); break;
    case LEAKY_RELU: for (size_t i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : (float)(LEAKY * z[i]); break;
    case LINEAR: if (a != z) std::memcpy(a, z, n * sizeof(float)); break;
    case SOFTMAX:
      for (int r = 0; r < R; r++) {
        const float* zr = z + (size_t)r * U;
        float* ar = a + (size_t)r * U;
        float mx = -std::numeric_limits<float>::infinity();
        for (int j = 0; j < U; j++) mx = std::max(mx, zr[j]);
        double s = 0;
        for (int j = 0; j < U; j++) s += (ar[j] = std::exp(zr[j] - mx));
        for (int j = 0; j < U; j++) ar[j] = (float)(ar[j] / s);
      }
      break;
  }
}

// g <- g * act'(z) given z (pre-activation) and a (activation output)
void activationBackward(Activation act, const float* z, const float* a, float* g, int R, int U) {
  size_t n = (size_t)R * U;
  switch (act) {
    case RELU: for (size_t i = 0; i < n; i++) g[i] = z[i] > 0 ? g[i] : 0; break;
    case TANH: for (size_t i = 0; i < n; i++) g[i] *= 1 - a[i] * a[i]; break;
    case SIGMOID: for (size_t i = 0; i < n; i++) g[i] *= a[i] * (1 - a[i]); break;
    case SOFTPLUS: for (size_t i = 0; i < n; i++) g[i] *= 1.0f / (1.0f + std::exp(-z[i])); break;
    case SOFTSIGN: for (size_t i = 0; i < n; i++) { float d = 1 + std::fabs(z[i]); g[i] /= d * d; } break;
    case SELU: for (size_t i = 0; i < n; i++) g[i] *= z[i] > 0 ? (float)SELU_SCALE : (float)(SELU_SCALE * SELU_ALPHA * std::exp(z[i])); break;
    case ELU: for (size_t i = 0; i < n; i++) g[i] *= z[i] > 0 ? 1.0f : a[i] + 1.0f; break;
    case LEAKY_RELU: for (size_t i = 0; i < n; i++) g[i] *= z[i] > 0 ? 1.0f : (float)LEAKY; break;
    case LINEAR: break;
    case SOFTMAX:
      for (int r = 0; r < R; r++) {
        const float* ar = a + (size_t)r * U;
        float* gr = g + (size_t)r * U;
        double dot = 0;
        for (int j = 0; j < U; j++) dot += (double)ar[j] * gr[j];
        for (int j = 0; j < U; j++) gr[j] = (float)(ar[j] * (gr[j] - dot));
      }
      break;
  }
}

// Loss and metric sums over R rows of logits z (targets t, U columns); with grad != null, also
// dLoss/dlogits of the batch mean. P receives the output activation.
Sums lossAndMetricRows(const ModelConfig& cfg_, const float* z, const float* t, int R, int U, std::vector<float>& P_, std::vector<float>* grad) {
    P_.resize((size_t)R * U);
    activateRows(cfg_.outputActivation, z, P_.data(), R, U);
    if (grad) grad->assign((size_t)R * U, 0);
    Sums s;
    bool crossEntropy = cfg_.loss == CCE || cfg_.loss == SCCE;
    for (int r = 0; r < R; r++) {
      const float* zr = z + (size_t)r * U;
      const float* pr = P_.data() + (size_t)r * U;
      const float* tr = t + (size_t)r * U;
      float* gr = grad ? grad->data() + (size_t)r * U : nullptr;
      double loss = 0;
      if (crossEntropy && cfg_.outputActivation == SOFTMAX) {
        float mx = zr[0];
        for (int j = 1; j < U; j++) mx = std::max(mx, zr[j]);
        double se = 0;
        for (int j = 0; j < U; j++) se += std::exp((double)zr[j] - mx);
        double lse = mx + std::log(se);
        for (int j = 0; j < U; j++) loss -= tr[j] * (zr[j] - lse);
        if (gr) for (int j = 0; j < U; j++) gr[j] = (float)((pr[j] - tr[j]) / R);
      } else if (cfg_.loss == BCE && cfg_.outputActivation == SIGMOID) {
        for (int j = 0; j < U; j++) loss += std::max(zr[j], 0.0f) - zr[j] * tr[j] + std::log1p(std::exp(-std::fabs(zr[j])));
        loss /= U;
        if (gr) for (int j = 0; j < U; j++) gr[j] = (float)((pr[j] - tr[j]) / ((double)U * R));
      } else if (cfg_.loss == MSE || cfg_.loss == MAE) {
        for (int j = 0; j < U; j++) {
          double diff = (double)pr[j] - tr[j];
          loss += cfg_.loss == MSE ? diff * diff : std::fabs(diff);
          if (gr) gr[j] = (float)((cfg_.loss == MSE ? 2 * diff : (diff > 0) - (diff < 0)) / ((double)U * R));
        }
        loss /= U;
      }
      s.loss += loss;
      // metric
      if (cfg_.metric == ACCURACY) {
        if (U == 1) s.metric += ((pr[0] > 0.5f) == (tr[0] > 0.5f)) ? 1 : 0;
        else {
          int am = 0, at = 0;
          for (int j = 1; j < U; j++) {
            if (zr[j] > zr[am]) am = j;
            if (tr[j] > tr[at]) at = j;
          }
          s.metric += am == at ? 1 : 0;
        }
      } else if (cfg_.metric == METRIC_MSE || cfg_.metric == METRIC_MAE) {
        double m = 0;
        for (int j = 0; j < U; j++) {
          double diff = (double)pr[j] - tr[j];
          m += cfg_.metric == METRIC_MSE ? diff * diff : std::fabs(diff);
        }
        s.metric += m / U;
      }
    }
    // dLoss/dp -> dLoss/dlogits through the output activation (the logits forms above already are)
    if (grad && !(crossEntropy && cfg_.outputActivation == SOFTMAX) && !(cfg_.loss == BCE && cfg_.outputActivation == SIGMOID))
      activationBackward(cfg_.outputActivation, z, P_.data(), grad->data(), R, U);
    return s;
  }


// ---------------------------------------------------------------- one model

struct Layer {
  int in, out;
  std::vector<float> W, b, gamma, beta, mm, mv;  // BN params only when batchNorm (hidden)
  std::vector<float> gW, gb, ggamma, gbeta;
  // optimizer slots per trainable tensor: [W, b, gamma, beta] x [m, v, a]
  std::vector<float> slot[4][3];
  double dropout = 0;
  bool bn = false;
};

class Model {
 public:
  Model(const Data& data, const std::vector<int>& widths, ModelConfig cfg) : data_(data), cfg_(std::move(cfg)) {
    int L = (int)widths.size() - 1;
    for (int l = 0; l < L; l++) {
      Layer layer;
      layer.in = widths[l];
      layer.out = widths[l + 1];
      bool hidden = l < L - 1;
      layer.W.assign((size_t)layer.in * layer.out, 0);
      layer.b.assign(layer.out, 0);
      layer.gW.assign(layer.W.size(), 0);
      layer.gb.assign(layer.out, 0);
      layer.bn = hidden && cfg_.batchNorm;
      layer.dropout = hidden ? cfg_.dropout[l] : 0;
      if (layer.bn) {
        layer.gamma.assign(layer.out, 1);
        layer.beta.assign(layer.out, 0);
        layer.mm.assign(layer.out, 0);
        layer.mv.assign(layer.out, 1);
        layer.ggamma.assign(layer.out, 0);
        layer.gbeta.assign(layer.out, 0);
      }
      layers_.push_back(std::move(layer));
    }
    for (Layer& layer : layers_) {
      std::vector<float>* params[4] = {&layer.W, &layer.b, &layer.gamma, &layer.beta};
      for (int t = 0; t < 4; t++) {
        size_t n = params[t]->size();
        if (n == 0) continue;
        const OptimizerConfig& o = cfg_.opt;
        int count = o.name == SGD ? (o.momentum > 0 ? 1 : 0) : o.name == ADAGRAD ? 1 : o.name == RMSPROP ? 3 : 2;
        for (int s = 0; s < count; s++) layer.slot[t][s].assign(n, 0.0f);
        if (o.name == ADAGRAD) std::fill(layer.slot[t][0].begin(), layer.slot[t][0].end(), (float)o.initialAccumulator);
      }
    }
  }

  std::vector<std::vector<float>> weights() const {
    std::vector<std::vector<float>> out;
    for (const Layer& l : layers_) {
      out.push_back(l.W);
      out.push_back(l.b);
      if (l.bn) {
        out.push_back(l.gamma);
        out.push_back(l.beta);
        out.push_back(l.mm);
        out.push_back(l.mv);
      }
    }
    return out;
  }

  void setWeights(const std::vector<std::vector<float>>& w) {
    size_t i = 0;
    for (Layer& l : layers_) {
      l.W = w.at(i++);
      l.b = w.at(i++);
      if (l.bn) {
        l.gamma = w.at(i++);
        l.beta = w.at(i++);
        l.mm = w.at(i++);
        l.mv = w.at(i++);
      }
    }
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
    const int CHUNK = 256;
    std::vector<int> rows;
    for (int start = 0; start < n; start += CHUNK) {
      int R = std::min(CHUNK, n - start);
      rows.assign(list.begin() + start, list.begin() + start + R);
      gather(rows);
      forward(R, false);
      Sums s = lossAndMetric(R, nullptr);
      sums.loss += s.loss;
      sums.metric += s.metric;
    }
    Sums out;
    double pen = penalty();
    out.loss = sums.loss / n + pen;
    out.metric = cfg_.metric == LOSS ? out.loss : sums.metric / n;
    return out;
  }

 private:
  const Data& data_;
  ModelConfig cfg_;
  std::vector<Layer> layers_;
  long iterations_ = 0;
  // per-batch work buffers
  std::vector<float> X_, T_;                   // inputs, targets
  std::vector<std::vector<float>> Z_, N_, A_;  // pre-activation, BN-normalized (xhat), activation (after dropout)
  std::vector<std::vector<float>> mask_, mean_, var_;
  std::vector<float> logits_, P_, G2_;
  std::vector<float> grad_, gradIn_, act_;  // backward: gradient at a layer's output, at its input; activation
  GemmScratch gemm_;

  int targetWidth() const { return layers_.back().out; }

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
    int w = targetWidth();
    T_.assign((size_t)R * w, 0);
    bool oneHot = data_.classification && w > 1;
    for (int r = 0; r < R; r++) {
      float y = data_.y[rows[r]];
      if (oneHot) T_[(size_t)r * w + (int)y] = 1;
      else T_[(size_t)r * w] = y;
    }
  }

  void forward(int R, bool training) {
    int L = (int)layers_.size();
    Z_.resize(L);
    N_.resize(L);
    A_.resize(L);
    mask_.resize(L);
    mean_.resize(L);
    var_.resize(L);
    const float* in = X_.data();
    for (int l = 0; l < L; l++) {
      Layer& ly = layers_[l];
      std::vector<float>& z = Z_[l];
      z.resize((size_t)R * ly.out);
      // Z = A W + b  (R x out)
      gemm(R, ly.out, ly.in, {in, ly.in, false}, {ly.W.data(), ly.out, false}, z.data(), ly.out, ly.b.data(), gemm_);
      if (l == L - 1) {
        logits_ = z;
        return;
      }
      std::vector<float>& a = A_[l];
      a.resize(z.size());
      const float* pre = z.data();
      if (ly.bn) {
        std::vector<float>& xh = N_[l];
        xh.resize(z.size());
        std::vector<float>& mean = mean_[l];
        std::vector<float>& var = var_[l];
        mean.assign(ly.out, 0);
        var.assign(ly.out, 0);
        if (training) {
          for (int j = 0; j < ly.out; j++) {
            double s = 0;
            for (int r = 0; r < R; r++) s += z[(size_t)r * ly.out + j];
            double m = s / R, v = 0;
            for (int r = 0; r < R; r++) {
              double c = z[(size_t)r * ly.out + j] - m;
              v += c * c;
            }
            mean[j] = (float)m;
            var[j] = (float)(v / R);
          }
        } else {
          mean = ly.mm;
          var = ly.mv;
        }
        // y = gamma * (z - mean) / sqrt(var + eps) + beta; keep xhat for backward, y in a (pre-activation)
        std::vector<float>& ybn = G2_;
        ybn.resize(z.size());
        for (int r = 0; r < R; r++)
          for (int j = 0; j < ly.out; j++) {
            size_t i = (size_t)r * ly.out + j;
            float xhat = (z[i] - mean[j]) / std::sqrt(var[j] + 1e-3f);
            xh[i] = xhat;
            ybn[i] = xhat * ly.gamma[j] + ly.beta[j];
          }
        z.swap(ybn);  // Z_ now holds the BN output (the activation's input)
        pre = z.data();
      }
      activateRows(cfg_.activation, pre, a.data(), R, ly.out);
      if (training && ly.dropout > 0) {
        std::vector<float>& mk = mask_[l];
        mk.resize(a.size());
        uint32_t key = dropoutKey(cfg_.seed, (uint32_t)iterations_, (uint32_t)l);
        float keepScale = (float)(1.0 / (1.0 - ly.dropout));
        for (size_t i = 0; i < a.size(); i++) {
          double u = (double)(hash32(key, (uint32_t)i) >> 8) / 16777216.0;
          mk[i] = u >= ly.dropout ? keepScale : 0.0f;
          a[i] *= mk[i];
        }
      }
      in = a.data();
    }
  }

  // Loss and metric sums over the batch; with grad != null, also dLoss/dlogits of the batch mean.
  Sums lossAndMetric(int R, std::vector<float>* grad) { return lossAndMetricRows(cfg_, logits_.data(), T_.data(), R, targetWidth(), P_, grad); }

  double penalty() const {
    if (cfg_.l1 == 0 && cfg_.l2 == 0) return 0;
    double total = 0;
    for (const Layer& l : layers_) {
      double s1 = 0, s2 = 0;
      for (float w : l.W) {
        s1 += std::fabs(w);
        s2 += (double)w * w;
      }
      total += cfg_.l1 * s1 + cfg_.l2 * s2;
    }
    return total;
  }

  Sums step(const std::vector<int>& rows, double lr) {
    int R = (int)rows.size();
    int L = (int)layers_.size();
    gather(rows);
    forward(R, true);
    std::vector<float>& g = grad_;
    Sums s = lossAndMetric(R, &g);
    double pen = penalty();
    Sums out;
    out.loss = (s.loss / R + pen) * R;
    out.metric = s.metric;
    // backward
    std::vector<float>& gin = gradIn_;
    for (int l = L - 1; l >= 0; l--) {
      Layer& ly = layers_[l];
      const float* input = l == 0 ? X_.data() : A_[l - 1].data();
      if (l < L - 1) {
        // g is dLoss/d(activation output after dropout) of layer l
        if (ly.dropout > 0) for (size_t i = 0; i < g.size(); i++) g[i] *= mask_[l][i];
        // activation input is Z_[l] (BN output when bn); the activation output without dropout is
        // A_[l] itself when there is no dropout, else recomputed
        const float* act = A_[l].data();
        if (ly.dropout > 0) {
          act_.resize(g.size());
          activateRows(cfg_.activation, Z_[l].data(), act_.data(), R, ly.out);
          act = act_.data();
        }
        activationBackward(cfg_.activation, Z_[l].data(), act, g.data(), R, ly.out);
        if (ly.bn) {
          const std::vector<float>& xh = N_[l];
          for (int j = 0; j < ly.out; j++) {
            double sg = 0, sgx = 0;
            for (int r = 0; r < R; r++) {
              size_t i = (size_t)r * ly.out + j;
              sg += g[i];
              sgx += (double)g[i] * xh[i];
            }
            ly.gbeta[j] = (float)sg;
            ly.ggamma[j] = (float)sgx;
            double inv = 1.0 / std::sqrt((double)var_[l][j] + 1e-3);
            double mg = sg / R, mgx = sgx / R;
            for (int r = 0; r < R; r++) {
              size_t i = (size_t)r * ly.out + j;
              g[i] = (float)(ly.gamma[j] * inv * (g[i] - mg - xh[i] * mgx));
            }
          }
        }
      }
      // dW = input^T g  (in x out)
      gemm(ly.in, ly.out, R, {input, ly.in, true}, {g.data(), ly.out, false}, ly.gW.data(), ly.out, nullptr, gemm_);
      // db = column sums of g, row after row: each column still sums in row order, as before
      std::fill(ly.gb.begin(), ly.gb.end(), 0.0f);
      for (int r = 0; r < R; r++) {
        const float* gr = g.data() + (size_t)r * ly.out;
        for (int j = 0; j < ly.out; j++) ly.gb[j] += gr[j];
      }
      if (cfg_.l1 > 0 || cfg_.l2 > 0)
        for (size_t i = 0; i < ly.W.size(); i++) {
          float w = ly.W[i];
          ly.gW[i] += (float)(cfg_.l1 * ((w > 0) - (w < 0)) + 2 * cfg_.l2 * w);
        }
      if (l > 0) {
        gin.resize((size_t)R * ly.in);
        // dInput = g W^T  (R x in)
        gemm(R, ly.in, ly.out, {g.data(), ly.out, false}, {ly.W.data(), ly.out, true}, gin.data(), ly.in, nullptr, gemm_);
        g.swap(gin);
      }
    }
    // BN moving statistics (from this batch's statistics)
    for (int l = 0; l < L - 1; l++) {
      Layer& ly = layers_[l];
      if (!ly.bn) continue;
      for (int j = 0; j < ly.out; j++) {
        ly.mm[j] = ly.mm[j] * 0.99f + mean_[l][j] * (float)(1 - 0.99);
        ly.mv[j] = ly.mv[j] * 0.99f + var_[l][j] * (float)(1 - 0.99);
      }
    }
    applyUpdates(lr);
    return out;
  }

  void applyUpdates(double lr) {
    const OptimizerConfig& o = cfg_.opt;
    double rate = o.decay > 0 ? lr / (1 + o.decay * iterations_) : lr;
    long t = iterations_ + 1;
    for (Layer& ly : layers_) {
      std::vector<float>* params[4] = {&ly.W, &ly.b, &ly.gamma, &ly.beta};
      std::vector<float>* grads[4] = {&ly.gW, &ly.gb, &ly.ggamma, &ly.gbeta};
      for (int k = 0; k < 4; k++) {
        if (params[k]->empty()) continue;
        float* slots[3] = {ly.slot[k][0].data(), ly.slot[k][1].data(), ly.slot[k][2].data()};
        optimizerStep(cfg_.opt, params[k]->data(), grads[k]->data(), params[k]->size(), slots, rate, t);
      }
      if (cfg_.maxNorm > 0) {
        for (int j = 0; j < ly.out; j++) {
          double sq = 0;
          for (int i = 0; i < ly.in; i++) sq += (double)ly.W[(size_t)i * ly.out + j] * ly.W[(size_t)i * ly.out + j];
          double norm = std::sqrt(sq);
          double factor = std::min(std::max(norm, 0.0), cfg_.maxNorm) / (1e-7 + norm);
          for (int i = 0; i < ly.in; i++) ly.W[(size_t)i * ly.out + j] = (float)(ly.W[(size_t)i * ly.out + j] * factor);
        }
      }
    }
    iterations_++;
  }
};

// ---------------------------------------------------------------- the stack

Stack::Stack(const Data& data, std::vector<int> widths, std::vector<ModelConfig> configs) : data_(data), widths_(std::move(widths)) {
  for (ModelConfig& c : configs) models_.push_back(new Model(data_, widths_, std::move(c)));
}

Stack::~Stack() {
  for (Model* m : models_) delete m;
}

template <class F>
static void parallelFor(int count, int threads, F f) {
  if (threads <= 1 || count <= 1) {
    for (int i = 0; i < count; i++) f(i);
    return;
  }
  std::vector<std::thread> pool;
  std::atomic<int> next{0};
  for (int t = 0; t < std::min(threads, count); t++)
    pool.emplace_back([&] {
      for (int i; (i = next++) < count;) f(i);
    });
  for (auto& th : pool) th.join();
}

std::vector<Sums> Stack::trainEpoch(const std::vector<std::vector<int>>& orders, const std::vector<double>& lrs,
                                    const std::vector<uint8_t>& active, int threads) {
  std::vector<Sums> out(models_.size());
  parallelFor((int)models_.size(), threads, [&](int m) {
    if (active[m]) out[m] = models_[m]->trainEpoch(orders[m], lrs[m]);
    else out[m].loss = out[m].metric = std::numeric_limits<double>::quiet_NaN();
  });
  return out;
}

std::vector<Sums> Stack::evaluate(int part, const std::vector<uint8_t>& active, int threads) {
  std::vector<Sums> out(models_.size());
  parallelFor((int)models_.size(), threads, [&](int m) {
    if (active[m]) out[m] = models_[m]->evaluate(part);
    else out[m].loss = out[m].metric = std::numeric_limits<double>::quiet_NaN();
  });
  return out;
}

std::vector<std::vector<float>> Stack::getWeights(int m) const { return models_.at(m)->weights(); }

void Stack::setWeights(int m, const std::vector<std::vector<float>>& w) { models_.at(m)->setWeights(w); }

}  // namespace nns

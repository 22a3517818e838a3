// nnsearch native trainer: a stack of Keras-style MLPs (same layer sizes, per-model
// hyperparameters) trained with the exact formulas of src/engine/tfjs-engine.ts (checked against
// Keras's own numbers by test/engine/native-keras.test.ts). Pure C++ (no N-API here).
// The enums below are matched to the TypeScript names by src/engine/native-enums.ts (by name;
// test/engine/native-enums.test.ts checks the two agree).
#pragma once
#include <cstdint>
#include <vector>

namespace nns {

enum Activation { RELU, TANH, SIGMOID, SOFTPLUS, SOFTSIGN, SELU, ELU, LEAKY_RELU, LINEAR, SOFTMAX };
enum Loss { CCE, SCCE, BCE, MSE, MAE };
enum Metric { ACCURACY, LOSS, METRIC_MSE, METRIC_MAE };
enum Optimizer { SGD, ADAM, ADAGRAD, RMSPROP, ADADELTA, ADAMAX };

struct OptimizerConfig {
  Optimizer name = SGD;
  double momentum = 0, decay = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, rho = 0.9, initialAccumulator = 0.1;
  bool nesterov = false, centered = false;
};

// The shared dataset (not owned).
struct Data {
  const float* x = nullptr;  // n x d
  const float* y = nullptr;  // n
  int n = 0, d = 0;
  bool classification = true;
};

struct ModelConfig {
  std::vector<int> fit, validation, test;      // row indices into Data
  std::vector<float> scalerOffset, scalerFactor;  // empty: no scaling
  Activation activation = RELU, outputActivation = SOFTMAX;
  Loss loss = CCE;
  Metric metric = ACCURACY;
  double l1 = 0, l2 = 0, maxNorm = 0;  // maxNorm 0: none
  bool batchNorm = false;
  std::vector<double> dropout;  // per hidden layer
  OptimizerConfig opt;
  int batchSize = 32;
  uint32_t seed = 0;
};

struct Sums {
  double loss = 0, metric = 0;
};

class Model;

// What the addon drives: a stack of models trained in lockstep (the MLP Stack below, and the
// Sequential stack of sequential.h).
class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual int size() const = 0;
  // One epoch per active model; orders[m] indexes that model's fit rows. Returns per-model
  // epoch means {loss, metric} (Keras logs); inactive models get NaN. `threads` threads in all.
  virtual std::vector<Sums> trainEpoch(const std::vector<std::vector<int>>& orders, const std::vector<double>& lrs,
                                       const std::vector<uint8_t>& active, int threads) = 0;
  // part 0: validation, 1: test.
  virtual std::vector<Sums> evaluate(int part, const std::vector<uint8_t>& active, int threads) = 0;
  // Weights in Keras order.
  virtual std::vector<std::vector<float>> getWeights(int m) const = 0;
  virtual void setWeights(int m, const std::vector<std::vector<float>>& w) = 0;
};

class Stack : public Trainer {
 public:
  // widths: input, hidden..., output
  Stack(const Data& data, std::vector<int> widths, std::vector<ModelConfig> configs);
  ~Stack() override;
  int size() const override { return (int)models_.size(); }
  std::vector<Sums> trainEpoch(const std::vector<std::vector<int>>& orders, const std::vector<double>& lrs,
                               const std::vector<uint8_t>& active, int threads) override;
  std::vector<Sums> evaluate(int part, const std::vector<uint8_t>& active, int threads) override;
  // Weights in Keras order: per layer kernel, bias[, gamma, beta, moving_mean, moving_var].
  std::vector<std::vector<float>> getWeights(int m) const override;
  void setWeights(int m, const std::vector<std::vector<float>>& w) override;

 private:
  Data data_;
  std::vector<int> widths_;
  std::vector<Model*> models_;
};

// The counter-based generator shared with TypeScript (src/search/rng.ts) and WGSL.
uint32_t hash32(uint32_t key, uint32_t counter);
uint32_t mixSeed3(uint32_t a, uint32_t b, uint32_t c);
uint32_t dropoutKey(uint32_t seed, uint32_t step, uint32_t layer);

}  // namespace nns

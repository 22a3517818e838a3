// nnsearch native trainer for Keras Sequential models (conv nets): Conv2D, MaxPooling2D,
// AveragePooling2D, Flatten, GlobalAveragePooling2D, Dense, Dropout, BatchNormalization, channels
// last (NHWC), TensorFlow's shape and padding rules (src/models/layers.ts). A stack of models with
// the same layer shapes and per-model hyperparameters, as the MLP Stack (mlp.h), with the same
// losses, metrics, optimizers and dropout masks.
//
// Dropout masks are the MLP's (mlp.h dropoutKey): key dropoutKey(model seed, update step, index of
// the Dropout layer in the model's layer list), unit i of the batch's NHWC activations (sample r,
// feature j of that layer's output) at counter r * features + j, kept when u >= rate.
//
// Threads: the models of a stack are spread over the threads; when there are more threads than
// models, each model splits every batch into fixed chunks of samples run on its share of threads.
// The chunks depend only on the batch size, and per-chunk weight gradients are summed in chunk
// order, so the numbers do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "mlp.h"

namespace nns {

enum LayerKind { CONV2D, MAX_POOLING2D, AVERAGE_POOLING2D, FLATTEN, GLOBAL_AVERAGE_POOLING2D, DENSE, DROPOUT, BATCH_NORMALIZATION };

// One layer as the addon passes it: LAYER_FIELDS numbers per layer, in this order.
struct LayerSpec {
  LayerKind kind = DENSE;
  int kh = 1, kw = 1, sh = 1, sw = 1;  // kernel or pool size, strides
  bool same = false;                   // padding 'same' (else 'valid')
  int units = 0;                       // Conv2D filters, Dense units
  Activation activation = LINEAR;      // Conv2D, Dense (the last Dense: the model's output activation, applied by the loss)
  double l1 = 0, l2 = 0, maxNorm = 0;  // kernel regularizer / MaxNorm constraint (0: none)
  double rate = 0;                     // Dropout
  double momentum = 0.99, epsilon = 1e-3;  // BatchNormalization
};
constexpr int LAYER_FIELDS = 14;
LayerSpec layerFromFields(const double* f);

class SeqModel;

class SequentialStack : public Trainer {
 public:
  // inputShape: [h, w, c] (or [features]); layers[m]: model m's layers (same shapes for every m).
  SequentialStack(const Data& data, std::vector<int> inputShape, std::vector<std::vector<LayerSpec>> layers,
                  std::vector<ModelConfig> configs);
  ~SequentialStack() override;
  int size() const override { return (int)models_.size(); }
  std::vector<Sums> trainEpoch(const std::vector<std::vector<int>>& orders, const std::vector<double>& lrs,
                               const std::vector<uint8_t>& active, int threads) override;
  std::vector<Sums> evaluate(int part, const std::vector<uint8_t>& active, int threads) override;
  // Keras order: Conv2D kernel [kh, kw, cin, cout] and bias, Dense kernel [in, out] and bias,
  // BatchNormalization gamma, beta, moving_mean, moving_variance.
  std::vector<std::vector<float>> getWeights(int m) const override;
  void setWeights(int m, const std::vector<std::vector<float>>& w) override;

 private:
  Data data_;
  std::vector<SeqModel*> models_;
};

}  // namespace nns

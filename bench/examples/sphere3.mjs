// An objective module for npm run bench:sampler -- --objective bench/examples/sphere3.mjs
// It exports {name, space, f}: the space in nnsearch's Param form, f minimized.
const float = (name, low, high) => ({ name, section: 'model', dist: { kind: 'float', low, high, log: false, step: null } });

export default {
  name: 'sphere3',
  space: [float('x0', -5, 5), float('x1', -5, 5), float('x2', -5, 5)],
  f: (p) => p.x0 ** 2 + p.x1 ** 2 + p.x2 ** 2,
};

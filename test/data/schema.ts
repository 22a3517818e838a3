import { SpecSchema } from '../../src/spec/schema.js';

/** The data section's schema, to build DataSpec values with defaults in tests. */
export const DataSchemaForTests = SpecSchema.shape.data.unwrap();

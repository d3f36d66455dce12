/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 600000,
  // Tests share data/ caches and the real datasets: one worker keeps memory and timings sane on 2 cores.
  maxWorkers: 1,
};

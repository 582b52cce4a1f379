// A tap plugin in place of @tapjs/typescript: test files in TypeScript are loaded through
// tsx (esbuild strips the types) instead of ts-node, about three times faster to start a
// file. Types are checked apart, by `npm run lint:types`.
exports.testFileExtensions = ['ts'];
exports.importLoader = 'tsx';
exports.preload = true;
exports.plugin = () => ({});

// Type-check only (runner/dashboard/tsconfig.json, rootDirs): ./vendor/msgpackr/unpack.js is served from
// node_modules/msgpackr; its types are msgpackr's own.
export { unpack } from 'msgpackr/unpack';

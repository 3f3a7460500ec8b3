// Type-check only (runner/dashboard/tsconfig.json, rootDirs): the page imports ./vendor/uplot.esm.js,
// which the stream server serves from node_modules/uplot; its types are uPlot's own.
import uPlot from 'uplot';
export default uPlot;

/**
 * AnnotateAudioWidget front end (the entry esbuild bundles into
 * workbench/static/annotate_audio.js): the view and its parts are in audio/
 * (view.ts holds the view and says where the rest is).
 */

export { default, AudioView, type AudioOptions, type AudioSpec } from "./audio/view";
export { addRegion, parseValue, regionsAt, relabel, removeRegions, roundTime, setEdge, sorted, toWire, type Region, type RegionsValue } from "./audio/regions";
export { audioAction, FIT_KEY, type AudioAction } from "./audio/keys";
export { draw, formatTime, pickPeaks, timeOf, xOf } from "./audio/wave";
export { readPeaks } from "./audio/items";
export { Player } from "./audio/player";
export { colorTable, spectrogramPixels, drawSpectrogram } from "./audio/spectrogram";

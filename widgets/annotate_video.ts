/**
 * AnnotateVideoWidget front end (the entry esbuild bundles into
 * workbench/static/annotate_video.js): the view and its parts are in video/
 * (view.ts holds the view and says where the rest is).
 */

export { default, VideoView, type VideoOptions, type VideoSpec } from "./video/view";
export { addTrack, keyBefore, keyframesOf, mergeTracks, parseValue, relabel, removeKeyframe, removeTracks, setKeyframe, setOutside, shapeAt, shapesAt, splitTrack, toggleOccluded, toWire, type Track, type TracksValue } from "./video/tracks";
export { videoAction, type VideoAction } from "./video/keys";
export { FrameCache } from "./video/frames";

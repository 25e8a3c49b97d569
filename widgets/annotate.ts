/**
 * AnnotateWidget front end (the entry esbuild bundles into
 * workbench/static/annotate.js): the view and its parts are in annotate/
 * (view.ts holds the view and says where the rest is).
 */

export { default, AnnotateView, type AnnotateOptions } from "./annotate/view";
export {
  ACCEPT_ALL_KEY,
  annotateAction,
  COPY_KEY,
  FIT_KEY,
  FIXED_KEYS,
  HIDE_KEY,
  keyTaken,
  NOT_LABELED_KEY,
  SKIP_KEY,
  TOOL_KEYS,
  TOOLS,
  VISIBILITY_KEY,
  type AnnotateAction,
  type Tool,
} from "./annotate/keys";
export { cleanShape, parseShapes, type AttributeSpec, type ShapesSpec, type SkeletonSpec } from "./annotate/shapes";
export type { IssueInfo, Suspect } from "./annotate/items";

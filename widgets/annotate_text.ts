/**
 * AnnotateTextWidget front end (the entry esbuild bundles into
 * workbench/static/annotate_text.js): the view and its parts are in text/
 * (view.ts holds the view and says where the rest is).
 */

export { default, TextView, type TextOptions, type TextSpec } from "./text/view";
export { Offsets } from "./text/offsets";
export { snap, tokenize, tokenAfter, TOKENIZERS, type Token, type Tokenizer } from "./text/tokens";
export { addRelation, addSpan, parseValue, relabel, removeRelations, removeSpans, sorted, toWire, type SpansValue } from "./text/spans";
export { BlockView, blockAt, domOffset, paintBlock, splitBlocks, BLOCK_CHARS } from "./text/blocks";
export { textAction, ACCEPT_KEY, ACCEPT_ALL_KEY, REJECT_KEY, type TextAction } from "./text/keys";

/**
 * The "Workbench" side panel: pick a project and task, see its live numbers.
 *
 * Polls `status` every `interval` ms while the panel is visible (a collapsed
 * sidebar stops the polling). Every number says what it counts: the progress line
 * reads "412 of 1,797 items done · 22.9%", each summary value carries its unit
 * ("5 labels", "0.2 labels per hour"), and the tables' headers name theirs.
 *
 * The sidebar is narrow (~250 px), so lines wrap: a number and its unit are
 * joined by a no-break space (`NBSP`), and the progress line's two phrases are
 * inline blocks, so it wraps between the phrases, never inside one.
 *
 * Test hooks: every value element has `data-field="<name>"` (`done`, `total` and
 * `percent`, bare numbers inside the `progress` line; the `SUMMARY` names, with
 * their units; `annotator_count`, `error`, `updated`); per-annotator rows are
 * `tr[data-annotator="<name>"]` whose cells carry the status key they come from
 * (bare numbers, their unit in the column's header); the panel's node has `data-updated` (the
 * number of successful refreshes of the current choice) and `data-project` /
 * `data-task`; the selects are `select[data-control="project"]` and
 * `select[data-control="task"]`.
 *
 * A `*.db` file that is not a valid project is listed disabled, marked "(invalid)",
 * with the server's reason as its title (`option[data-invalid]`).
 *
 * Team projects (PostgreSQL, registered with the server) are listed under their
 * name, in their own group of the project select (`option[data-kind="postgresql"]`).
 * When a status carries `tiers` (a team project opened by its lead), the
 * `[data-section="team"]` block shows: `data-field="gold_accuracy"`, and one
 * `tr[data-tier="<tier>"]` per review tier whose cells carry the tier's key they
 * come from (`open`, `claimed`, `done`, `stuck`).
 */
import { ServerConnection } from '@jupyterlab/services';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  ProjectEntry,
  Status,
  TIERS,
  TierNumbers,
  fetchStatus,
  listProjects,
  projectKey
} from './api';

const DEFAULT_INTERVAL_MS = 3000;
const STORAGE_KEY = 'workbench-panel:selection';
const MISSING = '—';
/** A no-break space: joins a number to its unit so a wrap never parts them. */
const NBSP = '\u00a0';

/** The summary rows: a label, how to format each from a status (with its unit), a tip. */
const SUMMARY: ReadonlyArray<
  [field: string, label: string, value: (s: Status) => string, tip: string]
> = [
  [
    'labeled',
    'Labeled',
    s => plural(s.labeled, 'item'),
    'Items whose current state is a label'
  ],
  ['skipped', 'Skipped', s => plural(s.skipped, 'item'), 'Items whose current state is a skip'],
  [
    'labels_last_hour',
    'Last hour',
    s => plural(s.labels_last_hour, 'label'),
    'Label events of the last hour, by every annotator'
  ],
  [
    'throughput_per_hour',
    'Average rate',
    s => `${fixed(s.throughput_per_hour, 1)}${NBSP}labels per hour over 24${NBSP}h`,
    'Label events of the last 24 hours divided by 24: labels per hour on average'
  ],
  [
    'open_reviews',
    'Open reviews',
    s => openReviews(s),
    'Items awaiting review: annotators disagree, or one flagged the item ambiguous'
  ],
  [
    'agreement',
    'Agreement',
    s => agreement(s),
    "Krippendorff's alpha over the items that two annotators or more labeled " +
      '(1 = full agreement, 0 = chance); single-label tasks only'
  ],
  [
    'review_outcomes',
    'Reviewed',
    s => reviewOutcomes(s.review_outcomes),
    'Review decisions so far, by outcome'
  ]
];

/**
 * The per-annotator table's columns: a title and a tip. Each title says what its
 * numbers count; the small header font wraps them between words ("Name", not
 * "Annotator": the table fits the narrowest sidebar, the heading says whose names).
 */
const ANNOTATOR_COLUMNS: ReadonlyArray<[title: string, tip: string]> = [
  ['Name', 'The annotator'],
  ['Labels in last hour', 'Label events of the last hour, by this annotator'],
  [
    `Labels per hour, 24${NBSP}h avg`,
    'Label events of the last 24 hours divided by 24: labels per hour on average'
  ],
  ['Median seconds per label', 'Median seconds spent on a label']
];

/** The tier table's columns: the `TierNumbers` key, a title and a tip. */
const TIER_COLUMNS: ReadonlyArray<[key: keyof TierNumbers, title: string, tip: string]> = [
  ['open', 'Open', 'Free slots: one per label an item still needs'],
  ['claimed', 'Claimed', 'Slots held under a live claim'],
  ['done', 'Done', 'Slots done'],
  ['stuck', 'Stuck', 'Items still incomplete whose last claim is over an hour old']
];

const NUMBER = new Intl.NumberFormat('en-US');

export interface WorkbenchPanelOptions {
  settings?: ServerConnection.ISettings;
  /** Milliseconds between two refreshes; 3000 by default. */
  interval?: number;
}

export class WorkbenchPanel extends Widget {
  constructor(options: WorkbenchPanelOptions = {}) {
    super();
    this.settings = options.settings ?? ServerConnection.makeSettings();
    this.interval = options.interval ?? DEFAULT_INTERVAL_MS;
    this.addClass('jp-WorkbenchPanel');
    this.node.dataset.updated = '0';

    const header = el('div', 'jp-WorkbenchPanel-header');
    header.append(el('h2', '', 'Workbench'), this.reloadButton);
    this.reloadButton.title = 'Reload the project list';
    this.projectSelect.dataset.control = 'project';
    this.taskSelect.dataset.control = 'task';
    this.reloadButton.addEventListener('click', () => void this.loadProjects());
    this.projectSelect.addEventListener('change', () => this.selectProject());
    this.taskSelect.addEventListener('change', () => this.select());

    const progress = el('div', 'jp-WorkbenchPanel-progress');
    progress.dataset.field = 'progress';
    progress.title = 'Items done: labeled or skipped';
    // Two phrases, each an inline block: a narrow sidebar wraps between them.
    const count = el('span', 'jp-WorkbenchPanel-phrase');
    count.append(this.field('done'), `${NBSP}of `, this.field('total'), `${NBSP}items done`);
    const share = el('span', 'jp-WorkbenchPanel-phrase');
    share.append(this.field('percent'));
    progress.append(count, ' · ', share);
    const bar = el('div', 'jp-WorkbenchPanel-bar');
    bar.append(this.barFill);
    this.barFill.className = 'jp-WorkbenchPanel-barFill';

    const summary = el('dl', 'jp-WorkbenchPanel-summary');
    for (const [name, label, , tip] of SUMMARY) {
      const term = el('dt', '', label);
      term.title = tip;
      summary.append(term, this.field(name, 'dd'));
    }

    const annotators = el('table', 'jp-WorkbenchPanel-annotators');
    const head = el('tr');
    for (const [title, tip] of ANNOTATOR_COLUMNS) {
      const th = el('th', '', title);
      th.title = tip;
      head.append(th);
    }
    annotators.createTHead().append(head);
    annotators.append(this.annotatorRows);
    const annotatorsHead = el('h3', '', 'Per annotator · ');
    annotatorsHead.append(this.field('annotator_count'));

    this.team.className = 'jp-WorkbenchPanel-team';
    this.team.dataset.section = 'team';
    const gold = el('dl', 'jp-WorkbenchPanel-summary');
    const goldTerm = el('dt', '', 'Gold accuracy');
    goldTerm.title = "Annotators' answers on gold items that were right";
    gold.append(goldTerm, this.field('gold_accuracy', 'dd'));
    const tierNote = el(
      'p',
      'jp-WorkbenchPanel-note',
      'Work per tier, in label slots (one per label an item needs); stuck counts items.'
    );
    this.team.append(el('h3', '', 'Team'), gold, tierNote, this.tierTable());

    this.node.append(
      header,
      labelled('Project', this.projectSelect),
      labelled('Task', this.taskSelect),
      this.message,
      progress,
      bar,
      summary,
      this.team,
      annotatorsHead,
      annotators,
      this.errorLine,
      this.updatedLine
    );
    this.errorLine.className = 'jp-WorkbenchPanel-error';
    this.errorLine.dataset.field = 'error';
    this.updatedLine.className = 'jp-WorkbenchPanel-updated';
    this.updatedLine.dataset.field = 'updated';
    this.message.className = 'jp-WorkbenchPanel-message';
    this.message.dataset.field = 'message';
    this.clearValues();
  }

  readonly settings: ServerConnection.ISettings;
  readonly interval: number;

  /** Fetch the project list and fill the selects (keeping the current or remembered choice). */
  async loadProjects(): Promise<void> {
    try {
      this.projects = await listProjects(this.settings);
    } catch (error) {
      this.showError(error);
      return;
    }
    const wanted = this.projectSelect.value || remembered().project;
    fillProjectSelect(this.projectSelect, this.projects);
    this.message.textContent = this.projects.length
      ? ''
      : 'No workbench projects: no *.db in the server root or its subfolders, and no ' +
        'PostgreSQL project registered with the server; ↻ looks again.';
    if (wanted && this.projects.some(p => projectKey(p) === wanted && !invalid(p))) {
      this.projectSelect.value = wanted;
    }
    this.selectProject(remembered().task);
  }

  /** Fetch the selected task's status once and show it. */
  async refresh(): Promise<void> {
    const project = this.projectSelect.value;
    const task = this.taskSelect.value;
    if (!project) {
      return;
    }
    let status: Status;
    try {
      status = await fetchStatus(this.settings, project, task);
    } catch (error) {
      if (this.isCurrent(project, task)) {
        this.showError(error);
      }
      return;
    }
    if (!this.isCurrent(project, task)) {
      return; // the selection changed while the request was under way
    }
    this.showStatus(status);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.projects === null) {
      void this.loadProjects(); // starts polling once a project is selected
    } else {
      this.startPolling();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.stopPolling();
  }

  dispose(): void {
    this.stopPolling();
    super.dispose();
  }

  private selectProject(task?: string): void {
    const entry = this.projects?.find(p => projectKey(p) === this.projectSelect.value);
    fillSelect(this.taskSelect, entry?.tasks ?? []);
    if (task && entry?.tasks.includes(task)) {
      this.taskSelect.value = task;
    }
    this.select();
  }

  private select(): void {
    const project = this.projectSelect.value;
    const task = this.taskSelect.value;
    if (project === this.node.dataset.project && task === this.node.dataset.task) {
      return; // the same choice again (a reloaded list): keep the numbers and the loop
    }
    this.node.dataset.project = project;
    this.node.dataset.task = task;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ project, task }));
    } catch {
      // Storage may be unavailable (private mode); remembering is a nicety.
    }
    this.clearValues();
    this.errorLine.textContent = '';
    // `data-updated` counts refreshes of what is shown: a new choice starts at 0.
    this.updates = 0;
    this.node.dataset.updated = '0';
    if (this.isVisible) {
      this.startPolling();
    }
  }

  /** (Re)start the refresh loop: one refresh now, then one every `interval` ms. */
  private startPolling(): void {
    const run = ++this.pollRun;
    const loop = async (): Promise<void> => {
      while (run === this.pollRun && !this.isDisposed) {
        await this.refresh();
        await new Promise(resolve => setTimeout(resolve, this.interval));
      }
    };
    void loop();
  }

  private stopPolling(): void {
    this.pollRun++; // a loop under way ends after its current wait
  }

  private isCurrent(project: string, task: string): boolean {
    return this.projectSelect.value === project && this.taskSelect.value === task;
  }

  private showStatus(s: Status): void {
    const done = s.labeled + s.skipped;
    this.setField('done', NUMBER.format(done));
    this.setField('total', NUMBER.format(s.items));
    this.setField('percent', `${fixed(100 * s.progress, 1)}%`);
    this.barFill.style.width = `${Math.min(100, Math.max(0, 100 * s.progress))}%`;
    for (const [name, , value] of SUMMARY) {
      this.setField(name, value(s));
    }
    this.showAnnotators(s);
    this.showTeam(s);
    this.errorLine.textContent = '';
    this.updates += 1;
    this.node.dataset.updated = String(this.updates);
    const when = new Date().toLocaleTimeString();
    this.updatedLine.textContent = `Last updated ${when} (${s.task})`;
  }

  private showAnnotators(s: Status): void {
    const names = new Set([
      ...Object.keys(s.throughput_per_hour_by_annotator),
      ...Object.keys(s.labels_last_hour_by_annotator),
      ...Object.keys(s.seconds_per_label)
    ]);
    const rows = [...names].sort().map(name => {
      const row = el('tr');
      row.dataset.annotator = name;
      row.append(
        el('td', '', name),
        cell('labels_last_hour_by_annotator', fixed(s.labels_last_hour_by_annotator[name], 0)),
        cell('throughput_per_hour_by_annotator', fixed(s.throughput_per_hour_by_annotator[name], 1)),
        cell('seconds_per_label', fixed(s.seconds_per_label[name], 1))
      );
      return row;
    });
    this.annotatorRows.replaceChildren(...rows);
    this.setField('annotator_count', plural(names.size, 'annotator'));
  }

  /** The gold accuracy and the tier table, shown only for a status that has tiers. */
  private showTeam(s: Status): void {
    const tiers = s.tiers;
    this.team.hidden = tiers === undefined;
    if (tiers === undefined) {
      return;
    }
    const gold = fixed(typeof s.gold_accuracy === 'number' ? 100 * s.gold_accuracy : null, 1);
    this.setField('gold_accuracy', gold === MISSING ? 'no gold answers yet' : `${gold}%${NBSP}right`);
    for (const tier of TIERS) {
      const numbers = tiers[tier];
      const row = this.tierRows.get(tier)!;
      row.title = numbers ? `${numbers.complete} of ${numbers.items} items complete` : '';
      for (const [key] of TIER_COLUMNS) {
        row.querySelector<HTMLElement>(`[data-field="${key}"]`)!.textContent = fixed(
          numbers?.[key],
          0
        );
      }
    }
  }

  /** The tier table: one row per tier, its cells filled by `showTeam`. */
  private tierTable(): HTMLTableElement {
    const table = el('table', 'jp-WorkbenchPanel-tiers');
    const head = el('tr');
    head.append(el('th', '', 'Tier'));
    for (const [, title, tip] of TIER_COLUMNS) {
      const th = el('th', '', title);
      th.title = tip;
      head.append(th);
    }
    table.createTHead().append(head);
    const body = el('tbody');
    for (const tier of TIERS) {
      const row = el('tr');
      row.dataset.tier = tier;
      row.append(el('td', '', tier), ...TIER_COLUMNS.map(([key]) => cell(key, MISSING)));
      this.tierRows.set(tier, row);
      body.append(row);
    }
    table.append(body);
    return table;
  }

  private showError(error: unknown): void {
    // ApiError's message is "<HTTP status>: <the server's JSON message>".
    const text = error instanceof Error ? error.message : String(error);
    this.errorLine.textContent = `Error ${text}`;
  }

  private clearValues(): void {
    for (const node of this.fields.values()) {
      node.textContent = MISSING;
    }
    this.barFill.style.width = '0';
    this.annotatorRows.replaceChildren();
    this.team.hidden = true;
    for (const row of this.tierRows.values()) {
      row.title = '';
      for (const node of row.querySelectorAll<HTMLElement>('[data-field]')) {
        node.textContent = MISSING;
      }
    }
    this.updatedLine.textContent = '';
  }

  /** A value element, `data-field="<name>"`, that `setField(name, …)` writes to. */
  private field(name: string, tag: 'span' | 'dd' = 'span'): HTMLElement {
    const node = cell(name, MISSING, tag);
    this.fields.set(name, node);
    return node;
  }

  private setField(name: string, text: string): void {
    this.fields.get(name)!.textContent = text;
  }

  private projects: ProjectEntry[] | null = null;
  private readonly fields = new Map<string, HTMLElement>();
  private pollRun = 0;
  private updates = 0;
  private readonly projectSelect = el('select');
  private readonly taskSelect = el('select');
  private readonly reloadButton = el('button', 'jp-WorkbenchPanel-reload', '↻');
  private readonly barFill = el('div');
  private readonly annotatorRows = el('tbody');
  private readonly team = el('div');
  private readonly tierRows = new Map<string, HTMLTableRowElement>();
  private readonly message = el('div');
  private readonly errorLine = el('div');
  private readonly updatedLine = el('div');
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  node.textContent = text;
  return node;
}

function cell(name: string, text: string, tag: 'span' | 'dd' | 'td' = 'td'): HTMLElement {
  const node = el(tag, '', text);
  node.dataset.field = name;
  return node;
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  const label = el('label', 'jp-WorkbenchPanel-choice', text);
  label.append(control);
  return label;
}

function fillSelect(select: HTMLSelectElement, values: string[]): void {
  select.replaceChildren(...values.map(value => option(value, value)));
  select.disabled = values.length === 0;
}

/**
 * The project select: SQLite files by path; registered PostgreSQL projects by
 * name, tagged "team". With both kinds present, each kind is its own group.
 */
function fillProjectSelect(select: HTMLSelectElement, projects: ProjectEntry[]): void {
  const options = (kind: ProjectEntry['kind']): HTMLOptionElement[] =>
    projects
      .filter(p => p.kind === kind)
      .map(p => {
        const key = projectKey(p);
        const mark = kind === 'postgresql' ? ' (team)' : invalid(p) ? ' (invalid)' : '';
        const node = option(key, `${key}${mark}`);
        node.dataset.kind = kind;
        if (p.error) {
          node.title = p.error;
        }
        if (invalid(p)) {
          node.disabled = true; // nothing to show; the title says why
          node.dataset.invalid = '1';
        }
        return node;
      });
  const files = options('sqlite');
  const team = options('postgresql');
  if (team.length === 0) {
    select.replaceChildren(...files);
  } else {
    const group = (label: string, children: HTMLOptionElement[]): HTMLOptGroupElement => {
      const node = el('optgroup');
      node.label = label;
      node.append(...children);
      return node;
    };
    select.replaceChildren(
      group('Team projects (PostgreSQL)', team),
      ...(files.length ? [group('Project files (SQLite)', files)] : [])
    );
  }
  select.disabled = projects.length === 0;
}

/** A `*.db` file the server found to be no valid workbench project. */
function invalid(p: ProjectEntry): boolean {
  return p.kind === 'sqlite' && p.valid === false;
}

function option(value: string, text: string): HTMLOptionElement {
  const node = el('option', '', text);
  node.value = value;
  return node;
}

function remembered(): { project?: string; task?: string } {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
}

function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : MISSING;
}

/** "1 item", "1,797 items": a count with its unit. */
function plural(n: number, unit: string): string {
  return `${NUMBER.format(n)}${NBSP}${unit}${n === 1 ? '' : 's'}`;
}

/** How each reason and review outcome reads after its count. */
const REASONS: Record<string, string> = {
  disagreement: 'with disagreement',
  ambiguous: 'flagged ambiguous',
  accept: 'accepted',
  correct: 'corrected',
  send_back: 'sent back'
};

function openReviews(s: Status): string {
  const parts = Object.entries(s.open_reviews_by_reason ?? {})
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${NUMBER.format(n)}${NBSP}${REASONS[reason] ?? reason}`);
  const total = plural(s.open_reviews, 'item');
  return parts.length ? `${total} (${parts.join(', ')})` : total;
}

function agreement(s: Status): string {
  const alpha = fixed(s.agreement, 3);
  return alpha === MISSING
    ? 'needs two annotators on an item'
    : `α${NBSP}${alpha} over ${plural(s.agreement_items, 'item')}`;
}

function reviewOutcomes(byOutcome: Record<string, number> | undefined): string {
  const parts = Object.entries(byOutcome ?? {})
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => {
      // The outcome "ambiguous" is a decision, not a flag: "marked ambiguous".
      const verb = outcome === 'ambiguous' ? 'marked ambiguous' : REASONS[outcome] ?? outcome;
      return `${NUMBER.format(n)}${NBSP}${verb}`;
    });
  return parts.length
    ? `${plural(sumOf(byOutcome), 'decision')}: ${parts.join(', ')}`
    : 'no decisions yet';
}

function sumOf(byName: Record<string, number> | undefined): number {
  return Object.values(byName ?? {}).reduce((a, b) => a + b, 0);
}

/**
 * The workbench server extension's REST API (`<base_url>/workbench/api/`), through
 * `ServerConnection` so that Jupyter's token and XSRF cookie go with every request.
 */
import { ServerConnection } from '@jupyterlab/services';

/** One `*.db` file under the server's root_dir. */
export interface FileProject {
  kind: 'sqlite';
  /** Path relative to root_dir, with `/` separators. */
  path: string;
  tasks: string[];
  /** False for a file that is not a valid workbench project; `error` says why. */
  valid?: boolean;
  error?: string;
}

/** One PostgreSQL (team) project registered with the server, known by name only. */
export interface RegisteredProject {
  kind: 'postgresql';
  name: string;
  /** Empty while the database cannot be read; `error` says why. */
  tasks: string[];
  error?: string;
}

export type ProjectEntry = FileProject | RegisteredProject;

/** What the `status` endpoint's `project` argument names: a path or a registered name. */
export function projectKey(entry: ProjectEntry): string {
  return entry.kind === 'postgresql' ? entry.name : entry.path;
}

/** Review tiers of team mode, in order. */
export const TIERS = ['annotate', 'review', 'qa'] as const;

/** One tier's work (`Team.queue()`): slots `open`, `claimed`, `done`; items. */
export interface TierNumbers {
  items: number;
  open: number;
  claimed: number;
  done: number;
  complete: number;
  stuck: number;
}

/** `workbench.dashboards.status()` of one task, as the server sends it. */
export interface Status {
  project: string;
  kind?: 'sqlite' | 'postgresql';
  task: string;
  /** Seconds since the epoch that the time windows end at. */
  now: number;
  items: number;
  labeled: number;
  skipped: number;
  ambiguous: number;
  /** (labeled + skipped) / items, in [0, 1]. */
  progress: number;
  labels_last_hour: number;
  labels_last_hour_by_annotator: Record<string, number>;
  /** Label events of the last 24 h divided by 24. */
  throughput_per_hour: number;
  throughput_per_hour_by_annotator: Record<string, number>;
  open_reviews: number;
  open_reviews_by_reason: Record<string, number>;
  review_outcomes: Record<string, number>;
  /** Krippendorff's alpha, or null when it cannot be computed. */
  agreement: number | null;
  agreement_items: number;
  /** Median seconds per label event, per annotator. */
  seconds_per_label: Record<string, number>;
  /** Team projects opened by their lead: right answers on gold items, in [0, 1]. */
  gold_accuracy?: number | null;
  /** Team projects opened by their lead: work per review tier. */
  tiers?: Partial<Record<(typeof TIERS)[number], TierNumbers>>;
}

/** A request that failed: the server's JSON `message` (or the HTTP reason). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

export async function listProjects(
  settings: ServerConnection.ISettings
): Promise<ProjectEntry[]> {
  const body = await getJson<{ projects: ProjectEntry[] }>(settings, 'projects', {});
  return body.projects;
}

export function fetchStatus(
  settings: ServerConnection.ISettings,
  project: string,
  task: string
): Promise<Status> {
  return getJson<Status>(settings, 'status', { project, task });
}

async function getJson<T>(
  settings: ServerConnection.ISettings,
  endpoint: string,
  query: Record<string, string>
): Promise<T> {
  const search = new URLSearchParams(query).toString();
  const url = `${settings.baseUrl}workbench/api/${endpoint}${search ? '?' + search : ''}`;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (error) {
    throw new ApiError(`server unreachable: ${String(error)}`, 0);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): fall back to the status line below.
  }
  if (!response.ok) {
    const message =
      body !== null && typeof body === 'object' && 'message' in body
        ? String((body as { message: unknown }).message)
        : response.statusText;
    throw new ApiError(`${response.status}: ${message}`, response.status);
  }
  return body as T;
}

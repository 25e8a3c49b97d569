/**
 * JupyterLab plugin: the "Workbench" panel in the right sidebar, and the
 * command `workbench:open-panel` (also in the command palette) that opens it.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import { WorkbenchPanel } from './panel';

const OPEN_COMMAND = 'workbench:open-panel';

// A tag with a check mark: labeling.
const workbenchIcon = new LabIcon({
  name: 'workbench-panel:icon',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M21.4 11.6l-9-9A2 2 0 0 0 11 2H4a2 2 0 0 0-2 2v7c0 .55.22 1.05.59 1.42l9 9a2 2 0 0 0 2.82 0l7-7a2 2 0 0 0 0-2.82zM6.5 8a1.5 1.5 0 1 1 0-3 1.5 1.5 0 0 1 0 3zm4.2 8.3l-3-3 1.4-1.4 1.6 1.6 4.6-4.6 1.4 1.4z"/>
  </g>
</svg>`
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench-panel:plugin',
  description: 'Live progress, throughput and agreement of a workbench project.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const panel = new WorkbenchPanel();
    panel.id = 'workbench-panel';
    panel.title.icon = workbenchIcon;
    panel.title.caption = 'Workbench: project progress';
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open Workbench Panel',
      caption: 'Show live progress, throughput and agreement of a workbench project',
      icon: workbenchIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: OPEN_COMMAND, category: 'Workbench' });
  }
};

export default plugin;

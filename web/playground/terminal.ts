// The terminal tab: xterm.js on a session's shell. POST /sessions {language} opens a live
// sandbox; GET /sessions/{id}/shell (WebSocket) is its TTY: keystrokes go as stdin frames,
// the terminal's size as resize frames, output comes as stdout frames, then an exit frame.
// DELETE /sessions/{id} removes the sandbox. Loaded only where the server has sessions.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { describeError, type Api } from './api.js';

type ShellFrame = { type: 'stdout'; data: string } | { type: 'exit'; exitCode: number | null };

export interface Shell {
  close(): Promise<void>;
}

export async function openShell(api: Api, container: HTMLElement, language: string, onEnd: (message: string) => void): Promise<Shell> {
  const session = await api.post<{ id: string }>('/sessions', { language });
  if (!session.ok) throw new Error(`no session: ${describeError(session)}`);
  const id = encodeURIComponent(session.body.id);
  const terminal = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13 });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  container.replaceChildren();
  terminal.open(container);
  fit.fit();
  const socket = new WebSocket(api.socketUrl(`/sessions/${id}/shell`));
  const send = (frame: object) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));
  socket.addEventListener('open', () => send({ type: 'resize', cols: terminal.cols, rows: terminal.rows }));
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as ShellFrame;
    if (frame.type === 'stdout') terminal.write(frame.data);
    else onEnd(`the shell exited (${frame.exitCode ?? 'signal'})`);
  });
  socket.addEventListener('close', (event) => onEnd(`the shell closed (code ${event.code})`));
  terminal.onData((data) => send({ type: 'stdin', data }));
  terminal.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
  const onWindowResize = () => fit.fit();
  window.addEventListener('resize', onWindowResize);
  terminal.focus();
  return {
    async close() {
      window.removeEventListener('resize', onWindowResize);
      socket.close();
      terminal.dispose();
      await api.delete(`/sessions/${id}`);
    },
  };
}

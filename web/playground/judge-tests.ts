// The judge tab's tests: rows of stdin and expected stdout, added and removed by the user.
import { byId, element } from './dom.js';

export interface TestCase {
  stdin: string;
  expected: string;
}

export function createTestList(initial: TestCase[]) {
  const body = byId<HTMLTableElement>('tests').tBodies[0];

  function textarea(value: string, label: string): HTMLTextAreaElement {
    const area = document.createElement('textarea');
    area.rows = 2;
    area.spellcheck = false;
    area.value = value;
    area.setAttribute('aria-label', label);
    return area;
  }

  function renumber(): void {
    [...body.rows].forEach((row, i) => {
      row.cells[0].textContent = String(i + 1);
      row.querySelectorAll('textarea').forEach((area, j) => area.setAttribute('aria-label', `test ${i + 1} ${j ? 'expected' : 'stdin'}`));
    });
  }

  function add(test: TestCase = { stdin: '', expected: '' }): void {
    const row = element('tr') as HTMLTableRowElement;
    const stdinCell = element('td');
    stdinCell.append(textarea(test.stdin, 'stdin'));
    const expectedCell = element('td');
    expectedCell.append(textarea(test.expected, 'expected'));
    const remove = element('button', 'remove') as HTMLButtonElement;
    remove.type = 'button';
    remove.addEventListener('click', () => {
      row.remove();
      renumber();
    });
    const removeCell = element('td');
    removeCell.append(remove);
    row.append(element('td'), stdinCell, expectedCell, removeCell);
    body.append(row);
    renumber();
  }

  initial.forEach((test) => add(test));
  return {
    add: () => add(),
    tests: (): TestCase[] =>
      [...body.rows].map((row) => {
        const [stdin, expected] = row.querySelectorAll('textarea');
        return { stdin: stdin.value, expected: expected.value };
      }),
  };
}

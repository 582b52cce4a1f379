// The code editor: CodeMirror 6 with the highlighting of the chosen language (a Lezer
// grammar where CodeMirror has one, a legacy mode otherwise, plain text for the rest).
import { cpp } from '@codemirror/lang-cpp';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { StreamLanguage, type LanguageSupport, type StreamParser } from '@codemirror/language';
import { csharp, java, kotlin } from '@codemirror/legacy-modes/mode/clike';
import { d } from '@codemirror/legacy-modes/mode/d';
import { fortran } from '@codemirror/legacy-modes/mode/fortran';
import { go } from '@codemirror/legacy-modes/mode/go';
import { haskell } from '@codemirror/legacy-modes/mode/haskell';
import { lua } from '@codemirror/legacy-modes/mode/lua';
import { oCaml } from '@codemirror/legacy-modes/mode/mllike';
import { pascal } from '@codemirror/legacy-modes/mode/pascal';
import { perl } from '@codemirror/legacy-modes/mode/perl';
import { r } from '@codemirror/legacy-modes/mode/r';
import { ruby } from '@codemirror/legacy-modes/mode/ruby';
import { rust } from '@codemirror/legacy-modes/mode/rust';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, basicSetup } from 'codemirror';

const legacy = (parser: StreamParser<unknown>) => StreamLanguage.define(parser);

const highlighting: Record<string, () => LanguageSupport | Extension> = {
  python: () => python(),
  javascript: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  c: () => cpp(),
  cpp: () => cpp(),
  java: () => legacy(java),
  csharp: () => legacy(csharp),
  kotlin: () => legacy(kotlin),
  go: () => legacy(go),
  rust: () => legacy(rust),
  ruby: () => legacy(ruby),
  perl: () => legacy(perl),
  lua: () => legacy(lua),
  haskell: () => legacy(haskell),
  fortran: () => legacy(fortran),
  pascal: () => legacy(pascal),
  ocaml: () => legacy(oCaml),
  r: () => legacy(r),
  d: () => legacy(d),
  bash: () => legacy(shell),
};

export function createEditor(parent: HTMLElement) {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({ extensions: [basicSetup, language.of([]), EditorView.lineWrapping] }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    /** Replaces the text and the highlighting (unknown languages: plain text). */
    load(languageId: string, text: string): void {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: language.reconfigure(highlighting[languageId]?.() ?? []),
      });
    },
  };
}

export type Editor = ReturnType<typeof createEditor>;

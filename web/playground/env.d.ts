// The starter programs, made by the build (scripts/build-playground.ts) from the language
// suite's hello programs: each reads a word and prints "hello, <word>".
declare module 'virtual:samples' {
  const samples: Record<string, string>;
  export default samples;
}

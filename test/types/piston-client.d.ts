// The npm piston-client ships no types; what the tests use of it.
declare module 'piston-client' {
  interface PistonClient {
    runtimes(): Promise<any>;
    execute(language: string | object, code?: string | object, config?: object): Promise<any>;
  }
  export function piston(options?: { server?: string }): PistonClient;
  export default piston;
}

import { useSession } from "../session";

// The program every staff query runs in (the switcher in the header changes it).
export function useProgram(): string {
  return useSession()?.program ?? "";
}

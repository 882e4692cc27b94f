import type { ReactNode } from "react";

export const ErrorState = ({ children }: { children: ReactNode }) => (
  <div className="state error" role="alert">
    {children}
  </div>
);
export const EmptyState = ({ children }: { children: ReactNode }) => (
  <div className="state empty">{children}</div>
);
export const LoadingState = ({ children }: { children?: ReactNode }) => (
  <p className="state loading" role="status">
    {children ?? "Loading…"}
  </p>
);

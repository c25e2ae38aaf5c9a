import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { BackupCodesPanel } from "./BackupCodesPanel";

describe("BackupCodesPanel", () => {
  it("shows every code and only continues after 'I saved them'", async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `aaaa${i}-bbbb${i}`);
    const onDone = vi.fn();
    render(<BackupCodesPanel codes={codes} onDone={onDone} />);
    expect(screen.getAllByRole("listitem")).toHaveLength(10);
    expect(screen.getByRole("button", { name: "Copy codes" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Download .txt" })).toBeInTheDocument();
    const cont = screen.getByRole("button", { name: "Continue" });
    expect(cont).toBeDisabled();
    const user = userEvent.setup();
    await user.click(screen.getByLabelText("I saved my backup codes"));
    expect(cont).toBeEnabled();
    await user.click(cont);
    expect(onDone).toHaveBeenCalledOnce();
  });
});

import { PageHeader } from "../../ui/misc";
import { useCurrentUser } from "../auth/session";
import { AccountSection } from "./AccountSection";
import { PasswordSection } from "./PasswordSection";
import { SessionsSection } from "./SessionsSection";
import { TokensSection } from "./TokensSection";
import { TwoFactorSection } from "./TwoFactorSection";
import "../../styles/profile.css";

export default function ProfilePage() {
  const user = useCurrentUser();
  return (
    <div className="page">
      <PageHeader title="Profile" description={`Signed in as ${user.username} (${user.role}).`} />
      <div className="profile-grid">
        <AccountSection />
        <PasswordSection />
        <TwoFactorSection />
      </div>
      <SessionsSection />
      <TokensSection />
    </div>
  );
}

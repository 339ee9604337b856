import { lazy, Suspense, useEffect, useState } from "react";
import { Route, Routes } from "react-router";
import { clearApiKey, getApiKey, onUnauthorized } from "./api/client";
import { AppShell } from "./components/AppShell";
import SignInPage from "./pages/signin/SignInPage";
import DashboardPage from "./pages/dashboard/DashboardPage";
import ComingSoonPage, { NotFoundPage } from "./pages/placeholder/ComingSoonPage";

// Recharts only loads with the detail page, keeping the first load small.
const MachineDetailPage = lazy(() => import("./pages/machine/MachineDetailPage"));

function Loading() {
  return <p className="p-4 font-mono text-sm text-text-tertiary">Loading…</p>;
}

export default function App() {
  const [signedIn, setSignedIn] = useState(() => getApiKey() !== null);
  const [refused, setRefused] = useState(false);

  useEffect(() => {
    onUnauthorized(() => {
      setRefused(true);
      setSignedIn(false);
    });
    return () => onUnauthorized(null);
  }, []);

  if (!signedIn) {
    // Shown at whatever URL was asked for, so a deep link survives sign-in.
    return (
      <SignInPage
        refused={refused}
        onSignedIn={() => {
          setRefused(false);
          setSignedIn(true);
        }}
      />
    );
  }

  const signOut = () => {
    clearApiKey();
    setSignedIn(false);
  };

  return (
    <Routes>
      <Route element={<AppShell onSignOut={signOut} />}>
        <Route index element={<DashboardPage />} />
        <Route
          path="machines/:machineId"
          element={
            <Suspense fallback={<Loading />}>
              <MachineDetailPage />
            </Suspense>
          }
        />
        <Route
          path="alerts"
          element={<ComingSoonPage title="Alerts" summary="Open, acknowledged and resolved alerts across the fleet, with acknowledge, resolve and snooze." />}
        />
        <Route
          path="actions"
          element={<ComingSoonPage title="Actions" summary="Remediation actions: approve, reject and follow service restarts and commands run over SSH." />}
        />
        <Route
          path="compliance"
          element={<ComingSoonPage title="Compliance" summary="Configuration packs, drift checks and diffs for each machine." />}
        />
        <Route
          path="costs"
          element={<ComingSoonPage title="Costs" summary="Electricity cost per machine and for the fleet, by day, week and month." />}
        />
        <Route
          path="settings"
          element={<ComingSoonPage title="Settings" summary="Thresholds, notifications, SSH keys, Tailscale and connectivity." />}
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

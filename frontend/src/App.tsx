import { lazy, Suspense, useEffect, useState } from "react";
import { Route, Routes } from "react-router";
import { clearApiKey, getApiKey, onUnauthorized } from "./api/client";
import { AppShell } from "./components/AppShell";
import SignInPage from "./pages/signin/SignInPage";
import DashboardPage from "./pages/dashboard/DashboardPage";
import { NotFoundPage } from "./pages/placeholder/ComingSoonPage";

// Pages load on demand (Recharts, the widget grid), keeping the first load small.
const MachineDetailPage = lazy(() => import("./pages/machine/MachineDetailPage"));
const AlertsPage = lazy(() => import("./pages/alerts/AlertsPage"));
const SettingsPage = lazy(() => import("./pages/settings/SettingsPage"));
const CostsPage = lazy(() => import("./pages/costs/CostsPage"));
const ActionsPage = lazy(() => import("./pages/actions/ActionsPage"));
const CompliancePage = lazy(() => import("./pages/compliance/CompliancePage"));

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
          element={
            <Suspense fallback={<Loading />}>
              <AlertsPage />
            </Suspense>
          }
        />
        <Route
          path="actions"
          element={
            <Suspense fallback={<Loading />}>
              <ActionsPage />
            </Suspense>
          }
        />
        {["compliance", "compliance/:machineId"].map((path) => (
          <Route
            key={path}
            path={path}
            element={
              <Suspense fallback={<Loading />}>
                <CompliancePage />
              </Suspense>
            }
          />
        ))}
        <Route
          path="costs"
          element={
            <Suspense fallback={<Loading />}>
              <CostsPage />
            </Suspense>
          }
        />
        <Route
          path="settings"
          element={
            <Suspense fallback={<Loading />}>
              <SettingsPage />
            </Suspense>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

// The dashboard's figures (GET /dashboard): your leads by status, what needs attention, your latest imports.
import { http } from "../../api/client";
import type { components } from "../../api/schema";

export type Dashboard = components["schemas"]["Dashboard"];

export const dashboardApi = {
  get: () => http.get<Dashboard>("/dashboard"),
};

export const dashboardKeys = { summary: ["dashboard"] as const };

/** A link to the leads grid showing these leads (filters in the URL, as the grid keeps them). */
export function leadsLink(filters: Record<string, unknown>): string {
  return `/leads?f=${encodeURIComponent(JSON.stringify(filters))}`;
}

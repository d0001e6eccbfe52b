import type { NavigationMenuItem } from '@nuxt/ui'

/** A page that declares `definePageMeta({ tab: … })` appears in the sidebar: adding a tab is one page file. */
export interface DashboardTab {
  label: string
  icon: string
  /** Position in the sidebar, ascending. */
  order: number
  /**
   * Shown only when the server says so: a GET of `path` that succeeds (and, with `field`, whose answer
   * has that field truthy), e.g. the Webmail tab only while the companion is installed. The probe is
   * an ordinary read (useApiData: cached, shared with the page that reads the same path).
   */
  when?: { path: string, field?: string }
}

declare module '#app' {
  interface PageMeta {
    tab?: DashboardTab
  }
}

/** One probe per conditional tab's path; a failed probe (or a falsy field) hides the tab. */
function useTabProbes(tabs: DashboardTab[]) {
  const probes = new Map<string, Ref<Record<string, unknown> | null>>()
  for (const path of new Set(tabs.flatMap(t => t.when ? [t.when.path] : []))) {
    probes.set(path, useApiData<Record<string, unknown>>(path).data)
  }
  return (tab: DashboardTab): boolean => {
    if (!tab.when) return true
    const answer = probes.get(tab.when.path)?.value
    return Boolean(answer && (!tab.when.field || answer[tab.when.field]))
  }
}

export function useDashboardTabs() {
  const router = useRouter()
  const route = useRoute()
  const shown = useTabProbes(router.getRoutes().flatMap(r => r.meta.tab ? [r.meta.tab] : []))
  return computed<NavigationMenuItem[]>(() => router.getRoutes()
    .filter(r => r.meta.tab && shown(r.meta.tab))
    .sort((a, b) => a.meta.tab!.order - b.meta.tab!.order)
    .map(r => ({
      label: r.meta.tab!.label,
      icon: r.meta.tab!.icon,
      to: r.path,
      // A tab's code loads when the pointer or focus reaches it, not all of them while the first page
      // idles: that prefetch alone was ~77 KB (compressed) on top of the first view's 205 KB.
      prefetchOn: 'interaction' as const,
      // Detail pages belong to their tab: /domains/7 highlights "Domains".
      active: r.path === '/' ? route.path === '/' : route.path === r.path || route.path.startsWith(`${r.path}/`) || (r.path === '/domains' && route.path.startsWith('/mailboxes/')),
    })))
}

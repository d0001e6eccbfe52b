import type { NavigationMenuItem } from '@nuxt/ui'

/** A page that declares `definePageMeta({ tab: … })` appears in the sidebar: adding a tab is one page file. */
export interface DashboardTab {
  label: string
  icon: string
  /** Position in the sidebar, ascending. */
  order: number
}

declare module '#app' {
  interface PageMeta {
    tab?: DashboardTab
  }
}

export function useDashboardTabs() {
  const router = useRouter()
  const route = useRoute()
  return computed<NavigationMenuItem[]>(() => router.getRoutes()
    .filter(r => r.meta.tab)
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

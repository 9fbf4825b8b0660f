// The few declarations of react-native and AsyncStorage that the snippet uses, so it can be
// type-checked in CI without installing React Native itself (tests/api/snippets.rs).
// In an app, the real packages' types take their place.
declare module 'react-native' {
  import type * as React from 'react';
  type Style = Record<string, unknown>;
  interface A11y {
    accessibilityRole?: 'button' | 'checkbox' | 'header' | 'radio' | 'radiogroup' | 'text';
    accessibilityLabel?: string;
    accessibilityState?: { checked?: boolean; selected?: boolean; disabled?: boolean };
    accessibilityViewIsModal?: boolean;
    accessibilityLabelledBy?: string;
    nativeID?: string;
    style?: Style | (Style | false | null | undefined)[];
    children?: React.ReactNode;
  }
  export const View: React.ComponentType<A11y>;
  export const Text: React.ComponentType<A11y>;
  export const Pressable: React.ComponentType<A11y & { onPress?: () => void; disabled?: boolean }>;
  export const TextInput: React.ComponentType<A11y & {
    value?: string; onChangeText?: (t: string) => void; multiline?: boolean; maxLength?: number; autoFocus?: boolean;
  }>;
  export const StyleSheet: { create<T extends Record<string, Style>>(styles: T): T };
  export const AppState: {
    addEventListener(type: 'change', listener: (state: 'active' | 'background' | 'inactive') => void): { remove(): void };
  };
}
declare module '@react-native-async-storage/async-storage' {
  const AsyncStorage: {
    getItem(key: string): Promise<string | null>;
    setItem(key: string, value: string): Promise<void>;
  };
  export default AsyncStorage;
}
